// A pod's ServiceAccount volume, as the kubelet projects it: a token from the
// TokenRequest API bound to the pod (so it dies with the pod), the cluster CA
// and the pod's namespace, in a per-pod directory that the container sees at
// /var/run/secrets/kubernetes.io/serviceaccount. The token is requested for an
// hour and replaced once 80 % of its life has passed, as the kubelet's token
// manager does; files are replaced by rename, so a reader never sees half a token.
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KubeApi, KubeObject } from "./kube-api.ts";

/** Where the kubelet mounts it in every container. */
export const SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** The kubelet's default for the projected token (the API server may shorten it). */
export const TOKEN_SECONDS = 3600;
/** Refresh once this share of the token's life has passed (the kubelet's 80 %). */
const REFRESH_AT = 0.8;
/** A failed refresh is tried again this soon (the old token still has a fifth of its life). */
const RETRY_MS = 10_000;

/** True when the kubelet would mount a ServiceAccount into this pod. */
export function wantsServiceAccount(pod: KubeObject): boolean {
  return pod.spec?.automountServiceAccountToken !== false;
}

export class ServiceAccountVolume {
  readonly dir: string;
  private readonly api: KubeApi;
  private readonly pod: KubeObject;
  private readonly caPem: string;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(api: KubeApi, pod: KubeObject, caPem: string, root: string, log: (line: string) => void) {
    this.api = api;
    this.pod = pod;
    this.caPem = caPem;
    this.dir = join(root, pod.metadata.uid, "serviceaccount");
    this.log = log;
  }

  private get account(): string {
    return this.pod.spec?.serviceAccountName || "default";
  }

  /** Writes the three files; throws when no token can be had (the pod's containers then do not start). */
  async create(): Promise<void> {
    // The pod's folder stays the node's own (0700); the volume itself is readable by the
    // container's user, whoever the image makes it (grayctl's runs as 65532): the kubelet's
    // kube-api-access volume has defaultMode 0644, and a pod without runAsUser/fsGroup gets it.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o755);
    await this.write("ca.crt", this.caPem);
    await this.write("namespace", this.pod.metadata.namespace);
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const { namespace, name, uid } = this.pod.metadata;
    const answer = await this.api.request(
      "POST",
      `/api/v1/namespaces/${namespace}/serviceaccounts/${encodeURIComponent(this.account)}/token`,
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
          expirationSeconds: TOKEN_SECONDS,
          // Bound to the pod: the API server stops accepting the token once the pod is gone.
          boundObjectRef: { apiVersion: "v1", kind: "Pod", name, uid },
        },
      },
    );
    if (this.closed) return;
    await this.write("token", answer.status.token);
    const lifeMs = new Date(answer.status.expirationTimestamp).getTime() - Date.now();
    this.schedule(Math.max(RETRY_MS, lifeMs * REFRESH_AT));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.refresh().catch((error) => {
        this.log(
          `pod ${this.pod.metadata.namespace}/${this.pod.metadata.name}: refreshing its token: ${error.message}`,
        );
        this.schedule(RETRY_MS);
      });
    }, ms);
    this.timer.unref();
  }

  private async write(file: string, content: string): Promise<void> {
    const temporary = join(this.dir, `.${file}.new`);
    await writeFile(temporary, content, { mode: 0o644 });
    await rename(temporary, join(this.dir, file));
  }

  /** Stops refreshing and removes the files (the token dies with the pod anyway). */
  async remove(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await rm(join(this.dir, ".."), { recursive: true, force: true });
  }
}
