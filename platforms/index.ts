/**
 * Picks the platform the configuration names. The only place that branches on the platform.
 */
import * as pulumi from "@pulumi/pulumi";

import type { LabConfig } from "../config";
import { eksNodeSizing } from "./capacity";
import { EksPlatform } from "./eks";
import { GkePlatform } from "./gke";
import { KindPlatform } from "./kind";
import { ACCESS_MODES_DISK, type Platform } from "./types";

export type { Platform } from "./types";

/** Builds the configured platform as a component named `name`. */
export function createPlatform(name: string, cfg: LabConfig, opts?: pulumi.ComponentResourceOptions): Platform {
    const homeSize = cfg.quota.homeSize;
    switch (cfg.platform) {
        case "gke":
            return new GkePlatform(
                name,
                // The access-modes demo's disk is made in the platform's constructor, when the demo is on.
                { config: cfg.gke!, homeSize, sharedDisk: cfg.demos.accessModes.enabled ? ACCESS_MODES_DISK : undefined },
                opts,
            );
        case "eks": {
            // Sized (or checked) from the pods the stack deploys, before any resource exists: a
            // ConfigError names eks.nodeCount and the count needed (platforms/capacity.ts).
            const { nodeCount } = eksNodeSizing(cfg);
            // `aws:profile` (config.ts): the kubeconfig's `aws eks get-token` signs as Pulumi does.
            const studentIdentities = cfg.students.flatMap((s) => (s.identity ? [{ name: s.name, identity: s.identity }] : []));
            return new EksPlatform(name, { config: cfg.eks!, homeSize, nodeCount, awsProfile: cfg.eks!.awsProfile, studentIdentities }, opts);
        }
        case "kind":
            return new KindPlatform(name, { config: cfg.kind!, homeSize }, opts);
    }
}
