// The sandbox's traffic layer: the front door (a Node reverse proxy routing by the
// store's Ingresses, VirtualServices and HTTPRoutes), optionally the same routing
// served by a real nginx the sandbox configures and reloads, and optionally a
// Prometheus file_sd targets file listing every ready pod.
import type { Store } from "../store.ts";
import { startFrontDoor, type TrafficStats } from "./front-door.ts";
import type { Rng } from "./model.ts";
import type { NginxOptions } from "./nginx.ts";
import { keepTargetsFile } from "./prometheus-targets.ts";
import { TrafficState } from "./state.ts";

export type { TrafficStats } from "./front-door.ts";
export { startPrometheus } from "./prometheus.ts";

export interface TrafficOptions {
  /** Front door port on 127.0.0.1; 0 or unset picks a free one. */
  port?: number;
  /** Also serve the routing through a real nginx (needs `nginx` on PATH or `binary`). */
  nginx?: NginxOptions;
  /** Keep a Prometheus file_sd JSON file of every ready pod at this path. */
  prometheusTargetsFile?: string;
  /** Weighted-choice draws for the front door; tests inject a seeded one. */
  rng?: Rng;
  /** Where background failures (nginx reload, targets write) are reported. */
  onError?: (error: Error) => void;
}

export interface Traffic {
  url: string;
  nginxUrl?: string;
  stats(): TrafficStats;
  /**
   * Resolves once nginx serves a configuration that reflects the store as it is
   * now (immediately without nginx, whose front door is always current).
   */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTraffic(store: Store, options: TrafficOptions = {}): Promise<Traffic> {
  const onError = options.onError ?? ((error: Error) => console.error(`sandbox traffic: ${error.message}`));
  const state = new TrafficState(store);
  const frontDoor = await startFrontDoor(state, { port: options.port, rng: options.rng });
  const cleanups: (() => Promise<void> | void)[] = [() => frontDoor.stop(), () => state.close()];
  try {
    let targetsFlushed = async () => {};
    if (options.prometheusTargetsFile) {
      const targets = keepTargetsFile(options.prometheusTargetsFile, () => state.pods(), onError);
      cleanups.unshift(state.onChange(() => void targets.refresh()));
      await targets.refresh();
      targetsFlushed = targets.flushed;
    }
    let nginx: Awaited<ReturnType<typeof import("./nginx.ts").startNginx>> | undefined;
    if (options.nginx) {
      const { startNginx } = await import("./nginx.ts");
      // A free port is picked before nginx binds it; if another process takes it in
      // between, nginx fails to bind, and a fresh pick is the fix.
      for (let attempt = 1; !nginx; attempt++) {
        try {
          nginx = await startNginx(state, { ...options.nginx, onError });
        } catch (error) {
          const portRace = options.nginx.port === undefined && /Address already in use/.test(String(error));
          if (!portRace || attempt === 3) throw error;
        }
      }
      cleanups.unshift(() => nginx!.stop());
    }
    return {
      url: frontDoor.url,
      nginxUrl: nginx?.url,
      stats: frontDoor.stats,
      settled: async (timeoutMs = 10_000) => {
        await targetsFlushed();
        await nginx?.settled(timeoutMs);
      },
      stop: async () => {
        for (const cleanup of cleanups) await cleanup();
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup();
    throw error;
  }
}
