/**
 * Each committed stack file, run under mocks: the cluster, its storage drivers and classes, the
 * provider and the outputs.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { readContextEndpoint, renderKubeconfig } from "../platforms/kubeconfig";

// The gke stack: test/platforms/gke.test.ts.

// The kind stack: test/platforms/kind.test.ts.

describe("platform helpers", () => {
    it("reads a context's server and CA from a kubeconfig", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kvl-")), "config");
        fs.writeFileSync(file, renderKubeconfig({ name: "kind-x", server: "https://127.0.0.1:1234", caData: "Q0E=", user: { token: "x" } }));
        assert.deepStrictEqual(readContextEndpoint(file, "kind-x"), { server: "https://127.0.0.1:1234", caData: "Q0E=" });
        assert.match((readContextEndpoint(file, "nope") as { missing: string }).missing, /context nope is not in/);
        assert.match((readContextEndpoint(`${file}.absent`, "kind-x") as { missing: string }).missing, /cannot read kubeconfig/);
    });
});
