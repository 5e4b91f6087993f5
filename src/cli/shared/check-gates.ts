// Command and web gates from analysis.checks (docs/gates.md), loaded only
// when the configuration has some.
import type { Gate } from "../../analysis/types.ts";
import { parseDuration } from "../../config/duration.ts";
import type { Config } from "../../config/schema.ts";
import type { Clock } from "../../kube/clock.ts";
import { durationsOf } from "../../rollout/plan.ts";

export interface CheckGateDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  clock: Clock;
  redact: (text: string) => string;
}

export async function checkGates(config: Config, deps: CheckGateDeps): Promise<Gate[]> {
  const checks = config.analysis.checks;
  if (checks.length === 0) return [];
  const [{ createCommandGate }, { createWebGate }, { proxiedFetch }] = await Promise.all([
    import("../../analysis/command-gate.ts"),
    import("../../analysis/web-gate.ts"),
    import("../../run/proxied-fetch.ts"),
  ]);
  // Web gates through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY says otherwise, as kubectl and curl would.
  const fetch = proxiedFetch(deps.env);
  const { intervalMs } = durationsOf(config);
  return checks.map((check) => {
    if (check.command) {
      const timeoutMs = parseDuration(check.timeout ?? "1m") ?? 60_000;
      const monotonic = () => deps.clock.monotonic();
      return createCommandGate({ name: check.name, command: check.command, timeoutMs }, { ...deps, monotonic });
    }
    const web = {
      name: check.name,
      url: check.url ?? "",
      method: check.method ?? "GET",
      headers: check.headers ?? {},
      body: check.body,
      value: check.value ?? "$",
      min: check.min,
      max: check.max,
      compare: check.compare ?? false,
      timeoutMs: parseDuration(check.timeout ?? "10s") ?? 10_000,
    };
    return createWebGate(web, { clock: deps.clock, intervalMs, redact: deps.redact, fetch });
  });
}
