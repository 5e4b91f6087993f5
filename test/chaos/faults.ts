// API fault campaigns. faults: a share of every request (5 % or 20 %, in equal
// parts 500, 429 with Retry-After, 409 on writes, reset connections and 2 s of
// latency) fails for the whole of a rollout of a good canary (to be promoted)
// or a broken one (to be rolled back). blackout: 60 s mid-step in which the API
// answers nothing at all (requests held, as in a partition, or reset, as with
// the API server down), with grayctl's real request deadline (10 s) and retry
// budget (20 s): the rollout must end rolled back with traffic on stable, its
// first write after the blackout the route to stable. Both: zero hangs.
import type { FaultRule } from "../../sandbox/faults.ts";
import { demoImage, eventually } from "../helpers/sandbox-app.ts";
import { InvariantWatcher } from "./lib/invariants.ts";
import {
  appConfig,
  campaignApp,
  judgeInvariants,
  type CampaignOptions,
  type CampaignReport,
  Campaign,
  cleanAfter,
  finish,
  observe,
  outcomeOf,
  run,
  settle,
  short,
  sleep,
} from "./lib/trial.ts";

const COMMAND_MS = 6 * 60_000;

/** A share `rate` of requests fails, split evenly between the five ways a stressed API server fails. */
export function faultMix(rate: number): FaultRule[] {
  const each = rate / 5;
  const reads = ["get", "list"] as const;
  const writes = ["create", "update", "patch", "delete"] as const;
  return [
    { name: "latency", action: { type: "latency", ms: 2_000 }, probability: each },
    { name: "500", verbs: [...reads, ...writes, "proxy"], action: { type: "error", code: 500 }, probability: each },
    {
      name: "429",
      verbs: [...reads, ...writes],
      action: { type: "throttle", retryAfterSeconds: 1 },
      probability: each,
    },
    { name: "409", verbs: ["update", "patch"], action: { type: "conflict" }, probability: each },
    { name: "reset", verbs: [...reads, ...writes, "proxy"], action: { type: "reset" }, probability: each },
  ];
}

export async function faultCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("faults");
  const trials = options.trials ?? 2;
  const name = "faults";
  const { app, log } = await campaignApp(
    name,
    appConfig(name, "interval: 2s\nreadyTimeout: 60s\nprogressDeadline: 5m\nleaseDuration: 15s"),
    { faultSeed: options.seed },
  );
  const { tally, failures } = campaign;
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const rate = trial % 2 === 1 ? 0.05 : 0.2;
      // 5 % good, 20 % broken, 5 % broken, 20 % good, …: both rates meet both kinds of canary.
      const good = [true, false, false, true][(trial - 1) % 4];
      const image = demoImage(`faults-s${options.seed}-${trial}${good ? "" : "-unhealthy"}`);
      const before = observe(app, name).stableImage;
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, name, log);
      app.sandbox.faults.set(faultMix(rate), options.seed + trial);
      const result = await run(app, ["rollout", "--image", image, "-o", "json"], COMMAND_MS);
      const injected = app.sandbox.faults.count();
      app.sandbox.faults.clear();
      await settle(app);
      tally.add("trials");
      tally.add(`trials at ${rate * 100}%`);
      tally.add("faults injected", injected);
      if (result.hung) tally.add("hangs");
      const outcome = outcomeOf(result);
      const expected = good
        ? { code: 0, outcome: "promoted", stable: image }
        : { code: 3, outcome: "rolled-back", stable: before };
      const seen = observe(app, name);
      const problems = await cleanAfter(app, name);
      const correct =
        result.code === expected.code &&
        outcome === expected.outcome &&
        seen.stableImage === expected.stable &&
        problems.length === 0;
      if (correct) tally.add("correct terminal states");
      else
        failures.push(
          `trial ${trial} (${rate * 100}%, ${good ? "good" : "broken"} canary): exit ${result.code} ${outcome}, stable ${short(seen.stableImage)}; ${problems.join("; ")} ${result.stdout.slice(-300)}`,
        );
      judgeInvariants(watcher, tally, failures, `${name} trial ${trial}`);
      options.log(
        `faults ${trial}/${trials}: ${rate * 100}% faults (${injected} injected), ${good ? "good" : "broken"} canary → exit ${result.code} ${outcome} in ${(result.ms / 1000).toFixed(0)} s${correct ? "" : " (WRONG)"}`,
      );
    }
  } finally {
    await app.stop();
  }
  return campaign.report(app.onCluster, [
    "trials",
    "correct terminal states",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);
}

export async function blackoutCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("blackout");
  const trials = options.trials ?? 1;
  const name = "blackout";
  const blackoutMs = 60_000;
  // A step window longer than the blackout, so the blackout falls mid-step; the real deadlines and budgets.
  const { app, log } = await campaignApp(
    name,
    appConfig(name, "interval: 90s\nreadyTimeout: 60s\nprogressDeadline: 6m"),
  );
  const { tally, failures } = campaign;
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const kind = trial % 2 === 1 ? "hang" : "reset";
      const before = observe(app, name).stableImage;
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, name, log);
      const child = app.spawn(["rollout", "--image", demoImage(`blackout-s${options.seed}-${trial}`), "-o", "json"]);
      await eventually("the rollout at its first step", () => observe(app, name).state?.weight === 10, 120_000);
      await sleep(2_000);
      app.sandbox.faults.set([
        {
          name: "blackout",
          action: kind === "hang" ? { type: "hang", until: Date.now() + blackoutMs } : { type: "reset" },
        },
      ]);
      await sleep(blackoutMs);
      app.sandbox.faults.clear();
      const back = performance.now();
      const result = await finish(child, COMMAND_MS);
      await settle(app);
      tally.add("trials");
      if (result.hung) tally.add("hangs");
      const seen = observe(app, name);
      const firstWrite = log.writesSince(back).find((r) => !r.path.includes("/leases/"));
      const routedFirst = firstWrite?.path.endsWith(`/ingresses/${name}-canary`) ?? false;
      if (routedFirst) tally.add("first write after it the route to stable");
      const problems = await cleanAfter(app, name);
      const correct =
        result.code === 3 &&
        outcomeOf(result) === "rolled-back" &&
        seen.weight === 0 &&
        seen.stableImage === before &&
        problems.length === 0;
      if (correct) tally.add("correct terminal states");
      else
        failures.push(
          `trial ${trial} (${kind}): exit ${result.code} ${outcomeOf(result)}, weight ${seen.weight}; ${problems.join("; ")} ${result.stdout.slice(-400)}`,
        );
      if (!routedFirst)
        failures.push(`trial ${trial}: first write after the blackout was ${firstWrite?.method} ${firstWrite?.path}`);
      judgeInvariants(watcher, tally, failures, `${name} trial ${trial}`);
      options.log(
        `blackout ${trial}/${trials}: ${blackoutMs / 1000} s (${kind}) mid-step → exit ${result.code} ${outcomeOf(result)} ${((performance.now() - back) / 1000).toFixed(1)} s after the API came back; first write after it: ${firstWrite?.method} ${firstWrite?.path}`,
      );
    }
  } finally {
    app.sandbox.faults.clear();
    await app.stop();
  }
  return campaign.report(app.onCluster, [
    "trials",
    "correct terminal states",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);
}
