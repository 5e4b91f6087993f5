// Cancellation campaign: a CI job cancelled the way GitHub Actions cancels one
// — SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that — at a random moment
// of a rollout, with 300 ms added to every API request. Traffic must be on
// stable (canary weight 0) by the time the SIGTERM is sent; whatever the
// process left is then finished with `rollback` and must be clean.
import { seededRandom } from "../../src/analysis/random.ts";
import { demoImage } from "../helpers/sandbox-app.ts";
import { InvariantWatcher } from "./lib/invariants.ts";
import {
  appConfig,
  campaignApp,
  judgeInvariants,
  type CampaignOptions,
  type CampaignReport,
  Campaign,
  cleanAfter,
  observe,
  outcomeOf,
  run,
  settle,
  sleep,
} from "./lib/trial.ts";

const APP = "cancel";
const CONFIG = appConfig(APP, "interval: 3s\nreadyTimeout: 60s\nprogressDeadline: 5m");
const COMMAND_MS = 5 * 60_000;
/** GitHub Actions: SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that. */
const TERM_AFTER_MS = 7_500;
const KILL_AFTER_MS = 10_000;

export async function cancelCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("cancel");
  const trials = options.trials ?? 2;
  const random = seededRandom(options.seed);
  const { app, log } = await campaignApp(APP, CONFIG);
  const { tally, failures } = campaign;
  try {
    for (let trial = 1; trial <= trials; trial++) {
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, APP, log);
      app.sandbox.faults.set([{ name: "slow", action: { type: "latency", ms: 300 } }]);
      const child = app.spawn(["rollout", "--image", demoImage(`cancel-s${options.seed}-${trial}`), "-o", "json"]);
      let exitedAt: number | undefined;
      void child.done.then(() => {
        exitedAt = performance.now();
      });
      // Somewhere in the ramp: 300 ms per request makes a step take several seconds.
      const at = 2_000 + Math.round(random() * 25_000);
      await sleep(at);
      tally.add("trials");
      if (exitedAt !== undefined) {
        tally.add("finished before SIGINT");
      } else {
        const interrupted = performance.now();
        child.kill("SIGINT");
        while (exitedAt === undefined && performance.now() < interrupted + TERM_AFTER_MS) await sleep(50);
        await settle(app);
        // The moment GitHub would send SIGTERM: traffic must be on stable by now.
        const weight = observe(app, APP).weight ?? 0;
        if (weight === 0) tally.add("traffic on stable before SIGTERM");
        else failures.push(`trial ${trial}: canary weight ${weight}% when SIGTERM came (SIGINT at ${at} ms)`);
        if (exitedAt === undefined) {
          child.kill("SIGTERM");
          while (exitedAt === undefined && performance.now() < interrupted + KILL_AFTER_MS) await sleep(50);
          if (exitedAt === undefined) {
            child.kill("SIGKILL");
            tally.add("needed SIGKILL");
          } else tally.add("exited after SIGTERM");
        } else tally.add("exited before SIGTERM");
      }
      const result = await child.done;
      app.sandbox.faults.clear();
      await settle(app);
      tally.add(`outcome: ${outcomeOf(result) ?? `exit ${result.code}`}`);
      // Whatever it left (a rollback cut short by SIGKILL, say) is finished as on-call would.
      if ((await cleanAfter(app, APP, 5_000)).length > 0) {
        const rollback = await run(app, ["rollback", "-o", "json"], COMMAND_MS);
        if (rollback.hung) tally.add("hangs");
        tally.add("finished by rollback");
      }
      const problems = await cleanAfter(app, APP);
      if (problems.length === 0) tally.add("clean");
      else failures.push(`trial ${trial}: not clean: ${problems.join("; ")}`);
      judgeInvariants(watcher, tally, failures, `trial ${trial}`);
      options.log(
        `cancel ${trial}/${trials}: SIGINT at ${at} ms → exit ${result.code} ${outcomeOf(result) ?? ""}; ${problems.length === 0 ? "clean" : problems.join("; ")}`,
      );
    }
  } finally {
    app.sandbox.faults.clear();
    await app.stop();
  }
  return campaign.report(app.onCluster, [
    "trials",
    "traffic on stable before SIGTERM",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);
}
