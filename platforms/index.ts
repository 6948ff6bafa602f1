/**
 * Picks the platform the configuration names. The only place that branches on the platform.
 */
import * as pulumi from "@pulumi/pulumi";

import type { LabConfig } from "../config";
import { EksPlatform } from "./eks";
import { GkePlatform } from "./gke";
import { KindPlatform } from "./kind";
import type { Platform } from "./types";

export type { Platform } from "./types";

/** Builds the configured platform as a component named `name`. */
export function createPlatform(name: string, cfg: LabConfig, opts?: pulumi.ComponentResourceOptions): Platform {
    const homeSize = cfg.quota.homeSize;
    switch (cfg.platform) {
        case "gke":
            return new GkePlatform(name, { config: cfg.gke!, homeSize }, opts);
        case "eks":
            return new EksPlatform(name, { config: cfg.eks!, homeSize }, opts);
        case "kind":
            return new KindPlatform(name, { config: cfg.kind!, homeSize }, opts);
    }
}
