// Keeps the Node registered and alive, as kubelet does: its Lease in
// kube-node-lease renewed every 10 s (the node lifecycle controller marks a node
// whose lease is older than its grace period, 50 s by default, NotReady, taints
// it and evicts its pods), and its status re-posted every minute through
// nodes/status. A Node deleted behind the agent's back is registered again.
import { isConflict, isNotFound, type KubeApi, type KubeObject, MERGE_PATCH } from "./kube-api.ts";
import { type NodeFacts, nodeObject, nodeStatus } from "./node-object.ts";

const LEASE_NAMESPACE = "kube-node-lease";
const LEASE_DURATION_S = 40;
const LEASE_RENEW_MS = 10_000;
const STATUS_REPORT_MS = 60_000;

/** MicroTime, as Lease renewTime is typed: RFC 3339 with six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, "000Z");
}

export class NodeHeartbeat {
  private readonly api: KubeApi;
  private readonly facts: NodeFacts;
  private readonly log: (line: string) => void;
  private node: KubeObject | undefined;
  private lease: KubeObject | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(api: KubeApi, facts: NodeFacts, log: (line: string) => void) {
    this.api = api;
    this.facts = facts;
    this.log = log;
  }

  /** Registers the Node and posts its first status and lease; throws if the API server refuses. */
  async start(): Promise<void> {
    await this.register();
    await this.postStatus();
    await this.renewLease();
    this.leaseTimer = setInterval(() => this.tick(() => this.renewLease(), "renewing the node lease"), LEASE_RENEW_MS);
    this.statusTimer = setInterval(() => this.tick(() => this.postStatus(), "posting node status"), STATUS_REPORT_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    clearInterval(this.statusTimer);
    await this.inFlight;
  }

  private tick(work: () => Promise<void>, what: string): void {
    if (this.stopped) return;
    this.inFlight = this.inFlight.then(work).catch((error) => this.log(`${what}: ${(error as Error).message}`));
  }

  private async register(): Promise<void> {
    const path = `/api/v1/nodes/${this.facts.nodeName}`;
    try {
      this.node = await this.api.request("POST", "/api/v1/nodes", nodeObject(this.facts));
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Registered before (an earlier run): keep it, as kubelet does.
      this.node = await this.api.request("GET", path);
    }
  }

  private async postStatus(): Promise<void> {
    const path = `/api/v1/nodes/${this.facts.nodeName}/status`;
    const body = { status: nodeStatus(this.facts, this.node?.status, new Date()) };
    try {
      this.node = await this.api.request("PATCH", path, body, { contentType: MERGE_PATCH });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.register();
      this.node = await this.api.request("PATCH", path, body, { contentType: MERGE_PATCH });
    }
  }

  private leaseObject(): KubeObject {
    const now = new Date();
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: this.facts.nodeName,
        namespace: LEASE_NAMESPACE,
        // Owned by the Node, so deleting the Node deletes its lease (as kubelet sets it).
        ...(this.node?.metadata?.uid
          ? {
              ownerReferences: [
                { apiVersion: "v1", kind: "Node", name: this.facts.nodeName, uid: this.node.metadata.uid },
              ],
            }
          : {}),
      },
      spec: {
        holderIdentity: this.facts.nodeName,
        leaseDurationSeconds: LEASE_DURATION_S,
        renewTime: microTime(now),
        ...(this.lease ? {} : { acquireTime: microTime(now) }),
      },
    };
  }

  private async renewLease(): Promise<void> {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
    const path = `${base}/${this.facts.nodeName}`;
    if (!this.lease) {
      try {
        this.lease = await this.api.request("POST", base, this.leaseObject());
        return;
      } catch (error) {
        if (!isConflict(error)) throw error;
        this.lease = await this.api.request("GET", path);
      }
    }
    const renewed = this.leaseObject();
    // An update with the resourceVersion we hold: a conflict means someone else wrote it; read and retry once.
    const update = (current: KubeObject) =>
      this.api.request("PUT", path, {
        ...renewed,
        metadata: { ...current.metadata, ...renewed.metadata },
        spec: { ...current.spec, ...renewed.spec },
      });
    try {
      this.lease = await update(this.lease as KubeObject);
    } catch (error) {
      if (isNotFound(error)) {
        this.lease = undefined;
        return this.renewLease();
      }
      if (!isConflict(error)) throw error;
      this.lease = await update(await this.api.request("GET", path));
    }
  }
}
