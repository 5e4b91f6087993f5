// The release record's ConfigMap (record.ts): read, and written only by the
// process holding the release Lease — every write goes through the Cluster's
// fence, so a process that lost the release (a forced takeover, its renewals
// past their deadline) writes nothing more. Writes are conditional on the
// version last read; a conflict re-reads and writes this release's record
// again, since the Lease says this process runs the release.
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { Cluster } from "../kube/cluster.ts";
import { isAlreadyExists, isConflict } from "../kube/errors.ts";
import { MANAGED_BY, names } from "../kube/names.ts";
import { decodeRecord, encodeRecord, type ReleaseRecord } from "./record.ts";

const DATA_KEY = "release";

export class ReleaseRecordStore {
  readonly cluster: Cluster;
  readonly app: string;
  readonly name: string;
  private version?: string;

  constructor(cluster: Cluster, app: string) {
    this.cluster = cluster;
    this.app = app;
    this.name = names(app).release;
  }

  /** Where the record is, as messages name it. */
  get where(): string {
    return `ConfigMap ${this.cluster.namespace}/${this.name}`;
  }

  async read(): Promise<ReleaseRecord | undefined> {
    const map = await this.cluster.getConfigMap(this.name);
    this.version = map?.metadata?.resourceVersion;
    return decodeRecord(map?.data?.[DATA_KEY], this.where);
  }

  async write(record: ReleaseRecord): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const body = this.body(record);
      try {
        const written = this.version
          ? await this.cluster.replaceConfigMap(body)
          : await this.cluster.createConfigMap(body);
        this.version = written.metadata?.resourceVersion;
        return;
      } catch (error) {
        if (!isConflict(error) && !isAlreadyExists(error)) throw error;
        const current = await this.cluster.getConfigMap(this.name);
        this.version = current?.metadata?.resourceVersion;
      }
    }
    throw new Error(`${this.where} kept changing under us; gave up after 5 attempts`);
  }

  private body(record: ReleaseRecord): V1ConfigMap {
    return {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: this.name,
        namespace: this.cluster.namespace,
        labels: { app: this.app, ...MANAGED_BY },
        resourceVersion: this.version,
      },
      data: { [DATA_KEY]: encodeRecord(record) },
    };
  }
}
