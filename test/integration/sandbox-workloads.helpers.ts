// Builders and waits shared by the sandbox workloads tests.
import assert from "node:assert/strict";
import { isPodReady } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import type { KubeObject, Store } from "../../sandbox/store.ts";
import { startWorkloads, type WorkloadsOptions } from "../../sandbox/workloads.ts";

export const NS = "default";

export function aDeployment(
  name: string,
  image: string,
  replicas: number,
  extra: { probe?: boolean; strategy?: unknown } = {},
): KubeObject {
  const probe = { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1, failureThreshold: 1 };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(extra.strategy ? { strategy: extra.strategy } : {}),
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: "app",
              image,
              ports: [{ containerPort: 8080, name: "http" }],
              ...(extra.probe === false ? {} : { readinessProbe: probe }),
            },
          ],
        },
      },
    },
  };
}

export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function podsOf(store: Store, app: string): KubeObject[] {
  return store.list(R.pods, NS, `app=${app}`);
}

export function readyPods(store: Store, app: string): KubeObject[] {
  return podsOf(store, app).filter(isPodReady);
}

/** The same checks `kubectl rollout status` makes. */
export function rolledOut(deploy: KubeObject | undefined): boolean {
  if (!deploy) return false;
  const s = deploy.status ?? {};
  const progressing = (s.conditions ?? []).find((c: { type: string }) => c.type === "Progressing");
  return (
    s.observedGeneration >= deploy.metadata.generation! &&
    s.updatedReplicas === deploy.spec.replicas &&
    s.replicas === s.updatedReplicas &&
    s.availableReplicas === s.updatedReplicas &&
    progressing?.reason === "NewReplicaSetAvailable"
  );
}

export function pidsOf(pods: KubeObject[]): number[] {
  const pids: number[] = [];
  for (const pod of pods) {
    for (const c of pod.status?.containerStatuses ?? []) {
      const match = /^sandbox:\/\/(\d+)$/.exec(c.containerID ?? "");
      if (match) pids.push(Number(match[1]));
    }
  }
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the workloads and records every process PID any pod ever reported. */
export async function startRecording(store: Store, options: WorkloadsOptions = {}) {
  const seen = new Set<number>();
  const unwatch = store.watch(R.pods, undefined, undefined, (e) => {
    for (const pid of pidsOf([e.object])) seen.add(pid);
  });
  const workloads = await startWorkloads(store, { crashBackoffMs: { initial: 200, max: 800 }, ...options });
  return {
    seen,
    async stop() {
      await workloads.stop();
      unwatch();
      const alive = [...seen].filter(isAlive);
      assert.deepEqual(alive, [], `processes left behind after stop(): ${alive.join(", ")}`);
    },
  };
}

export async function get(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}
