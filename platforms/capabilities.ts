/**
 * What each platform can offer the demos, known from configuration alone, so that a demo the
 * platform cannot run is refused before any resource is created. The one place that answers "is
 * there a ReadWriteMany class?" and "can it give a pre-provisioned disk?".
 */
import type { EksConfig, GkeConfig, KindConfig, PlatformName } from "../config";

export interface Capabilities {
    /** A ReadWriteMany StorageClass, or why there is none. */
    rwx: { available: true } | { available: false; reason: string };
    /** A pre-provisioned disk for the access-modes demo (else it runs on the ReadWriteMany class). */
    sharedDisk: boolean;
}

export function capabilities(platform: PlatformName, section: GkeConfig | EksConfig | KindConfig): Capabilities {
    switch (platform) {
        case "gke":
            // Filestore CSI (enabled by the platform) gives ReadWriteMany; a zonal PD is the shared disk.
            return { rwx: { available: true }, sharedDisk: true };
        case "eks":
            // EFS CSI gives ReadWriteMany; EBS has no ReadOnlyMany, so the demo uses EFS instead.
            return { rwx: { available: true }, sharedDisk: false };
        case "kind": {
            const kind = section as KindConfig;
            return {
                rwx:
                    kind.rwxBackend === "none"
                        ? {
                              available: false,
                              reason: "kind.rwxBackend is none (set it to nfs, longhorn, or existing with kind.rwxStorageClass)",
                          }
                        : { available: true },
                // hostPath on each node stands in for a disk.
                sharedDisk: true,
            };
        }
    }
}
