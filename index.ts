/**
 * kube-volume-lab: config → platform → components → outputs.
 */
import * as pulumi from "@pulumi/pulumi";

import { readConfig } from "./config";
import { createPlatform } from "./platforms";

const config = readConfig();
const platform = createPlatform("lab", config);

export const platformName = platform.name;
export const clusterName = platform.clusterName;
export const kubeconfig = platform.kubeconfig;
export const rwxStorageClass = platform.rwxStorageClass ?? null;
export const rwoStorageClass = platform.rwoStorageClass;
export const stack = pulumi.getStack();
