// What every campaign's trials share: running grayctl with a hang detector,
// reading the cluster as the suites do, judging a clean state and a truthful
// `status`, and the campaign's report.
import { stableLineage } from "../../../src/operate/lineage.ts";
import type { Release } from "../../../src/model/state.ts";
import { R } from "../../../sandbox/resources.ts";
import type { CliResult, RunningCli } from "../../helpers/cli.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../../helpers/sandbox-app.ts";
import { type InvariantWatcher, RequestLog } from "./invariants.ts";

export const WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

export interface CampaignOptions {
  /** Trials per campaign (each campaign has its own default). */
  trials?: number;
  seed: number;
  /** Prints a line per trial. */
  log: (line: string) => void;
}

export interface CampaignReport {
  campaign: string;
  target: "sandbox" | "cluster";
  seconds: number;
  /** The campaign's own counts (trials, recovered, hangs, …). */
  counts: Record<string, number>;
  /** Invariant violations and failed expectations, as text; empty when the campaign passed. */
  failures: string[];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Finished = CliResult & { hung: boolean; ms: number };

/** Waits for a grayctl process; one still running after `timeoutMs` is a hang: killed and reported as such. */
export async function finish(child: RunningCli, timeoutMs: number): Promise<Finished> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let hung = false;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      hung = true;
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      resolve();
    }, timeoutMs);
  });
  await Promise.race([child.done, deadline]);
  clearTimeout(timer);
  const result = await child.done;
  return { ...result, hung, ms: performance.now() - started };
}

/** Runs a command to its end (or to its hang). */
export function run(app: SandboxApp, args: string[], timeoutMs: number, env?: Record<string, string>) {
  return finish(app.spawn(args, { env }), timeoutMs).then(async (result) => {
    await settle(app);
    return result;
  });
}

/** On a real cluster the store is a mirror: let it catch up before judging it. */
export async function settle(app: SandboxApp): Promise<void> {
  await (app.sandbox as { settle?: () => Promise<void> }).settle?.();
}

/** The JSON events a command printed with -o json (lines that are not JSON are skipped). */
export function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}

export const outcomeOf = (result: CliResult) =>
  events(result.stdout).findLast((e) => e.type === "result")?.outcome as string | undefined;

/** The app as the cluster holds it. */
export function observe(app: SandboxApp, name: string) {
  const store = app.sandbox.store;
  const ns = app.namespace;
  const canaryIngress = store.get(R.ingresses, ns, `${name}-canary`);
  const stable = store.get(R.deployments, ns, name);
  const canary = store.get(R.deployments, ns, `${name}-canary`);
  const data = store.get(R.configmaps, ns, `${name}-grayctl`)?.data as Record<string, string> | undefined;
  return {
    weight: canaryIngress ? Number(canaryIngress.metadata.annotations?.[WEIGHT] ?? 0) : undefined,
    stableImage: stable?.spec?.template?.spec?.containers?.[0]?.image as string | undefined,
    stableReady: stable ? rolledOut(stable) : false,
    canaryReplicas: canary?.spec?.replicas as number | undefined,
    state: data?.state ? JSON.parse(data.state) : undefined,
    history: (data?.history ? JSON.parse(data.history) : []) as Release[],
    leaseHolder: store.get(R.leases, ns, `${name}-grayctl`)?.spec?.holderIdentity as string | undefined,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a Deployment as the store holds it
function rolledOut(d: any): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= want
  );
}

const IN_FLIGHT = new Set(["deploying", "progressing", "paused", "promoting", "rolling-back", "interrupted"]);

/**
 * A clean state: nothing in flight, all traffic on stable, the canary at 0,
 * stable on the release the history says it runs (and rolled out). A Lease
 * left by a killed process is not judged: the next command takes it at once.
 * Returns what is not clean.
 */
export function uncleanness(app: SandboxApp, name: string): string[] {
  const seen = observe(app, name);
  const problems: string[] = [];
  if (seen.state && IN_FLIGHT.has(seen.state.phase)) problems.push(`a rollout still in flight (${seen.state.phase})`);
  if (seen.weight) problems.push(`canary weight ${seen.weight}%`);
  if (seen.canaryReplicas) problems.push(`canary at ${seen.canaryReplicas} replicas`);
  const expected = stableLineage(seen.history).at(-1)?.image;
  if (expected && seen.stableImage !== expected)
    problems.push(`stable runs ${short(seen.stableImage)}, the history says ${short(expected)}`);
  if (!seen.stableReady) problems.push("stable not rolled out");
  return problems;
}

/** Waits (bounded) for stable to finish rolling out, then judges the state. */
export async function cleanAfter(app: SandboxApp, name: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await settle(app);
    const problems = uncleanness(app, name);
    if (problems.length === 0 || performance.now() > deadline) return problems;
    await sleep(250);
  }
}

/** `status -o json` against what the cluster holds: every figure it shows must be the cluster's. */
export async function statusProblems(app: SandboxApp, name: string, processGone: boolean): Promise<string[]> {
  const result = await run(app, ["status", "-o", "json"], 30_000);
  if (result.hung) return ["status hung"];
  if (result.code !== 0) return [`status exited ${result.code}: ${result.stderr.slice(0, 300)}`];
  const view = events(result.stdout).find((e) => e.type === "status") as
    | (Record<string, unknown> & { stable: { image?: string }; canary: { desired: number; exists: boolean } })
    | undefined;
  if (!view) return ["status printed no status event"];
  const seen = observe(app, name);
  const problems: string[] = [];
  const claim = (what: string, shown: unknown, actual: unknown) => {
    if (shown !== actual) problems.push(`status says ${what} ${String(shown)}, the cluster ${String(actual)}`);
  };
  claim("canary weight", view.canaryWeight, seen.weight);
  claim("stable image", view.stable.image, seen.stableImage);
  claim("canary replicas", view.canary.exists ? view.canary.desired : 0, seen.canaryReplicas ?? 0);
  claim("phase", view.phase, seen.state?.phase ?? "none");
  const running = IN_FLIGHT.has(String(view.phase)) && view.phase !== "paused" && view.phase !== "interrupted";
  // Its process is gone and ran on this machine: orphaned at once (decision 007).
  if (processGone && running && seen.leaseHolder !== undefined) claim("orphaned", view.orphaned, true);
  if (view.orphaned && (seen.weight ?? 0) > 0) claim("unwatched canary", view.unwatchedCanary, true);
  return problems;
}

export const short = (image: string | undefined) => image?.replace(/@sha256:.*/, "") ?? "none";

/** Counts a thing by name. */
export class Tally {
  readonly counts: Record<string, number> = {};
  add(name: string, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by;
  }
}

/** What a campaign gathers from its start: counts by name, and failures as text. */
export class Campaign {
  readonly name: string;
  readonly started = performance.now();
  readonly tally = new Tally();
  readonly failures: string[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** The report; `always` are counts shown even when nothing added to them (a zero is a result). */
  report(onCluster: boolean, always: string[]): CampaignReport {
    for (const count of always) this.tally.counts[count] ??= 0;
    return {
      campaign: this.name,
      target: onCluster ? "cluster" : "sandbox",
      seconds: Math.round((performance.now() - this.started) / 1000),
      counts: this.tally.counts,
      failures: this.failures,
    };
  }
}

/** A grayctl.yaml for a campaign's app: nginx, two replicas, three steps, and the given rollout fields. */
export function appConfig(app: string, rollout: string, extra = ""): string {
  return `app: ${app}
deployment:
  replicas: 2
traffic:
  router: nginx
  host: ${app}.local
rollout:
  steps: [10, 50, 100]
${rollout
  .trim()
  .split("\n")
  .map((line) => `  ${line.trim()}`)
  .join("\n")}
${extra}`;
}

/** Starts the campaign's app (sandbox or real cluster) with the request log wired, and deploys its first release. */
export async function campaignApp(
  name: string,
  config: string,
  options: { env?: Record<string, string>; faultSeed?: number } = {},
): Promise<{ app: SandboxApp; log: RequestLog }> {
  const log = new RequestLog();
  const app = await startSandboxApp(config, { onRequest: log.onRequest, faultSeed: options.faultSeed });
  try {
    const first = await run(app, ["rollout", "--image", demoImage(`${name}-v0`)], 3 * 60_000, options.env);
    if (first.code !== 0)
      throw new Error(`the first deploy of ${name} failed (${first.code}): ${first.stdout}${first.stderr}`);
    return { app, log };
  } catch (error) {
    await app.stop();
    throw error;
  }
}

/** Stops a trial's watcher and adds what it found to the campaign's counts and failures. */
export function judgeInvariants(watcher: InvariantWatcher, tally: Tally, failures: string[], label: string): void {
  const broken = watcher.finish();
  tally.add("invariant violations", broken.trafficViolations.length + broken.stableViolations.length);
  tally.add("writes after lost ownership", broken.writesAfterLostOwnership.length);
  for (const found of [...broken.trafficViolations, ...broken.stableViolations, ...broken.writesAfterLostOwnership])
    failures.push(`${label}: ${found}`);
}
