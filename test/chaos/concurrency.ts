// Concurrency campaign: two to five rollouts of one app started at once (each
// with its own image and --supersede, so every one of them goes for the Lease):
// exactly one proceeds — one writes anything beyond its Lease attempt, one is
// promoted — and the others exit 5 naming the holder. Then clock skew: while a
// rollout runs, another whose wall clock runs a minute ahead
// (GRAYCTL_TEST_CLOCK_SKEW_MS) tries to take its Lease: it must exit 5 having
// written nothing, and the first rollout is promoted.
import { seededRandom } from "../../src/analysis/random.ts";
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
} from "./lib/trial.ts";

const APP = "race";
const CONFIG = appConfig(APP, "interval: 2s\nreadyTimeout: 60s\nprogressDeadline: 5m\nleaseDuration: 4s");
const COMMAND_MS = 5 * 60_000;

export async function concurrencyCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("concurrency");
  const trials = options.trials ?? 2;
  const random = seededRandom(options.seed);
  const { app, log } = await campaignApp(APP, CONFIG);
  const { tally, failures } = campaign;
  /** Owners (from the User-Agent) that wrote something other than the Lease since `from`. */
  const writers = (from: number) =>
    new Set(
      log
        .writesSince(from)
        .filter((r) => !r.path.includes("/leases/"))
        .map((r) => r.owner),
    );
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const racers = 2 + Math.floor(random() * 4);
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, APP, log);
      const from = performance.now();
      const children = Array.from({ length: racers }, (_, i) =>
        app.spawn([
          "rollout",
          "--image",
          demoImage(`race-s${options.seed}-${trial}-${i}`),
          "--supersede",
          "-o",
          "json",
        ]),
      );
      const results = await Promise.all(children.map((child) => finish(child, COMMAND_MS)));
      await settle(app);
      tally.add("trials");
      tally.add("rollouts started", racers);
      for (const result of results) if (result.hung) tally.add("hangs");
      const promoted = results.filter((r) => r.code === 0 && outcomeOf(r) === "promoted").length;
      const refused = results.filter((r) => r.code === 5).length;
      const wrote = writers(from);
      const exactlyOne = promoted === 1 && refused === racers - 1 && wrote.size === 1;
      if (exactlyOne) tally.add("exactly one proceeded");
      else
        failures.push(
          `trial ${trial}: ${racers} rollouts: ${promoted} promoted, ${refused} refused (exit 5), ${wrote.size} wrote; exits ${results.map((r) => r.code).join(",")}`,
        );
      finishTrial(trial, watcher, await cleanAfter(app, APP));
      options.log(`concurrency ${trial}/${trials}: ${racers} at once → exits ${results.map((r) => r.code).join(", ")}`);
    }

    // Clock skew: a process whose clock runs a minute ahead must not take a live Lease.
    for (const skew of [60_000]) {
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, APP, log);
      const live = app.spawn(["rollout", "--image", demoImage(`race-s${options.seed}-live`), "-o", "json"]);
      await eventually("the rollout at its first step", () => observe(app, APP).state?.weight === 10, 120_000);
      const from = performance.now();
      const skewed = await run(
        app,
        ["rollout", "--image", demoImage(`race-s${options.seed}-skewed`), "--supersede", "-o", "json"],
        COMMAND_MS,
        { GRAYCTL_TEST_CLOCK_SKEW_MS: String(skew) },
      );
      const liveResult = await finish(live, COMMAND_MS);
      await settle(app);
      tally.add("clock skew trials");
      // Owner ids are actor@host/PID/random: anyone but the live rollout's process.
      const skewedWrote = [...writers(from)].filter((owner) => owner?.split("/")[1] !== String(live.pid));
      const held = skewed.code === 5 && liveResult.code === 0 && outcomeOf(liveResult) === "promoted";
      if (held && skewedWrote.length === 0) tally.add("live Lease kept under clock skew");
      else
        failures.push(
          `clock skew ${skew / 1000} s: the skewed process exited ${skewed.code} (${outcomeOf(skewed)}), the live one ${liveResult.code} (${outcomeOf(liveResult)}); ${skewedWrote.length} other writers`,
        );
      finishTrial(0, watcher, await cleanAfter(app, APP));
      options.log(`clock skew +${skew / 1000} s: skewed → exit ${skewed.code}; live → exit ${liveResult.code}`);
    }
  } finally {
    await app.stop();
  }
  return campaign.report(app.onCluster, [
    "trials",
    "exactly one proceeded",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);

  function finishTrial(trial: number, watcher: InvariantWatcher, problems: string[]) {
    if (problems.length > 0) failures.push(`trial ${trial}: not clean: ${problems.join("; ")}`);
    judgeInvariants(watcher, tally, failures, `trial ${trial}`);
  }
}
