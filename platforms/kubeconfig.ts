/**
 * Kubeconfig documents: rendered (cluster admin through an exec plugin, or a student's token scoped to
 * a namespace) and read (the API server of a local context). Pure functions over strings.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

/** An exec credential plugin (gke-gcloud-auth-plugin, aws eks get-token). */
export interface ExecUser {
    command: string;
    args?: string[];
    env?: { name: string; value: string }[];
    installHint: string;
}

export interface KubeconfigSpec {
    /** Name of the cluster, context and user entries. */
    name: string;
    server: string;
    /** Base64 PEM of the cluster CA. */
    caData: string;
    user: { exec: ExecUser } | { token: string };
    /** Default namespace of the context. */
    namespace?: string;
}

/** Renders a single-context kubeconfig as YAML. */
export function renderKubeconfig(spec: KubeconfigSpec): string {
    const user =
        "token" in spec.user
            ? { token: spec.user.token }
            : {
                  exec: {
                      apiVersion: "client.authentication.k8s.io/v1beta1",
                      command: spec.user.exec.command,
                      args: spec.user.exec.args,
                      env: spec.user.exec.env,
                      installHint: spec.user.exec.installHint,
                      provideClusterInfo: true,
                      interactiveMode: "IfAvailable",
                  },
              };
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: spec.name, cluster: { server: spec.server, "certificate-authority-data": spec.caData } }],
        contexts: [
            {
                name: spec.name,
                context: { cluster: spec.name, user: spec.name, ...(spec.namespace ? { namespace: spec.namespace } : {}) },
            },
        ],
        "current-context": spec.name,
        users: [{ name: spec.name, user }],
    });
}

/** Default kubeconfig path, as kubectl resolves it (first entry of $KUBECONFIG, else ~/.kube/config). */
export function defaultKubeconfigPath(): string {
    const env = process.env.KUBECONFIG;
    if (env) {
        return env.split(path.delimiter)[0];
    }
    return path.join(os.homedir(), ".kube", "config");
}

/**
 * The API server and CA of `context` in the kubeconfig at `file`, or undefined with the reason when
 * the file or context cannot be read (the caller decides whether that matters).
 */
export function readContextEndpoint(
    file: string,
    context: string,
): { server: string; caData: string } | { missing: string } {
    let doc: unknown;
    try {
        doc = YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        return { missing: `cannot read kubeconfig ${file}: ${(e as Error).message}` };
    }
    const cfg = (doc ?? {}) as {
        contexts?: { name: string; context?: { cluster?: string } }[];
        clusters?: { name: string; cluster?: { server?: string; "certificate-authority-data"?: string } }[];
    };
    const ctx = cfg.contexts?.find((c) => c.name === context);
    if (!ctx?.context?.cluster) {
        return { missing: `context ${context} is not in ${file}` };
    }
    const cluster = cfg.clusters?.find((c) => c.name === ctx.context?.cluster)?.cluster;
    if (!cluster?.server || !cluster["certificate-authority-data"]) {
        return { missing: `cluster ${ctx.context.cluster} of context ${context} has no server or CA data in ${file}` };
    }
    return { server: cluster.server, caData: cluster["certificate-authority-data"] };
}
