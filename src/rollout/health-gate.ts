// The health gate: every canary pod ready, none restarted or crash-looping,
// and /healthz answering 200 through the API server's pod proxy (so it works
// from CI and laptops without network access to pods), a few pods at a time.
import type { Gate, GateContext, GateResult } from "../analysis/types.ts";
import type { Cluster } from "../kube/cluster.ts";
import { mapLimited } from "../util/map-limited.ts";
import { trackSelector } from "../kube/names.ts";
import { failFastReason, summarizeTrack } from "../model/pods.ts";

export interface HealthGateOptions {
  path: string;
  port: number;
  timeoutMs: number;
  concurrency: number;
}

export class HealthGate implements Gate {
  readonly name = "health";
  private readonly cluster: Cluster;
  private readonly options: HealthGateOptions;

  constructor(cluster: Cluster, options: HealthGateOptions) {
    this.cluster = cluster;
    this.options = options;
  }

  async evaluate(ctx: GateContext): Promise<GateResult> {
    const source = {
      kind: "health" as const,
      query: `GET ${this.options.path} of every canary pod (API server pod proxy)`,
      statistic: "every canary pod ready, none restarted or crash-looping, every answer 200",
    };
    return { ...(await this.judge(ctx)), source };
  }

  private async judge(ctx: GateContext): Promise<GateResult> {
    const pods = await this.cluster.listPods(trackSelector(ctx.app, "canary"));
    const track = summarizeTrack(pods);
    const fast = failFastReason(track);
    if (fast) return { gate: this.name, result: "failed", reason: fast };
    const live = track.pods.filter((p) => !p.terminating);
    if (live.length === 0) return { gate: this.name, result: "failed", reason: "no canary pods are running" };
    const notReady = live.find((p) => !p.ready);
    if (notReady)
      return { gate: this.name, result: "failed", reason: `pod ${notReady.name} is not ready`, pod: notReady.name };
    const answers = await mapLimited(live, this.options.concurrency, async (pod) => ({
      pod: pod.name,
      ...(await this.cluster.podProxyGet(pod.name, this.options.port, this.options.path, this.options.timeoutMs)),
    }));
    const bad = answers.find((a) => a.status !== 200);
    if (bad) {
      const answer = bad.status === 0 ? bad.body : `HTTP ${bad.status}`;
      return {
        gate: this.name,
        result: "failed",
        reason: `${this.options.path} of pod ${bad.pod} answered ${answer}`,
        pod: bad.pod,
      };
    }
    return {
      gate: this.name,
      result: "passed",
      summary: `${live.length}/${live.length} canary pods ready, ${this.options.path} 200, no restarts`,
      values: { pods: live.length },
    };
  }
}
