// Crash campaign: a rollout SIGKILLed at a random moment, or SIGSTOPped beyond
// its Lease while on-call rolls back and then woken with SIGCONT (a closed
// laptop lid, a frozen CI runner). After a kill, `status` must tell the truth
// (the cluster's weights, images and replicas; orphaned, since its process on
// this machine is gone), and `rollback` or a re-run of `rollout` (drawn at
// random) must reach a clean state. After a stop, the woken process must write
// nothing (it was superseded) and the state must end clean.
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
  finish,
  outcomeOf,
  run,
  settle,
  sleep,
  statusProblems,
} from "./lib/trial.ts";

const APP = "crash";
const LEASE_MS = 3_000;
const CONFIG = appConfig(
  APP,
  `interval: 1s
  readyTimeout: 30s
  progressDeadline: 3m
  leaseDuration: ${LEASE_MS / 1000}s`,
);
/** Longer than this is a hang. */
const COMMAND_MS = 120_000;

export async function crashCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("crash");
  const trials = options.trials ?? 4;
  const random = seededRandom(options.seed);
  const { app, log } = await campaignApp(APP, CONFIG);
  const { tally, failures } = campaign;
  const fail = (trial: number, what: string) => failures.push(`trial ${trial}: ${what}`);
  try {
    // One rollout left alone, to learn how long one takes: the signals fall anywhere in it.
    const measured = await run(app, ["rollout", "--image", demoImage(`crash-s${options.seed}-0`)], COMMAND_MS);
    if (measured.code !== 0) throw new Error(`an undisturbed rollout failed (${measured.code}): ${measured.stderr}`);
    const typicalMs = measured.ms;
    options.log(`crash: an undisturbed rollout takes ${(typicalMs / 1000).toFixed(1)} s`);

    for (let trial = 1; trial <= trials; trial++) {
      const kind = trial % 3 === 0 ? "stop" : "kill";
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, APP, log);
      const image = demoImage(`crash-s${options.seed}-${trial}`);
      const child = app.spawn(["rollout", "--image", image, "-o", "json"]);
      const at = Math.round(random() * typicalMs);
      await sleep(at);
      let exited = false;
      void child.done.then(() => {
        exited = true;
      });
      tally.add("trials");
      tally.add(`${kind} trials`);
      let note = "";
      if (kind === "kill") {
        const finishedFirst = exited;
        child.kill("SIGKILL");
        await child.done;
        await settle(app);
        if (finishedFirst) tally.add("finished before the signal");
        for (const problem of await statusProblems(app, APP, true))
          fail(trial, `after SIGKILL at ${at} ms: ${problem}`);
        const recovery = random() < 0.5 ? ["rollback"] : ["rollout", "--image", image];
        const recovered = await run(app, [...recovery, "-o", "json"], COMMAND_MS);
        note = `${recovery[0]} → ${recovered.code} ${outcomeOf(recovered) ?? ""}`;
        if (recovered.hung) tally.add("hangs");
        if (recovered.code !== 0 && recovered.code !== 3)
          fail(trial, `${recovery[0]} after SIGKILL exited ${recovered.code}: ${recovered.stdout.slice(-400)}`);
      } else {
        const finishedFirst = exited;
        child.kill("SIGSTOP");
        if (finishedFirst) tally.add("finished before the signal");
        // Beyond the Lease: anyone may take it now.
        await sleep(LEASE_MS + 500);
        for (const problem of await statusProblems(app, APP, false)) fail(trial, `while stopped: ${problem}`);
        const rollback = await run(app, ["rollback", "-o", "json"], COMMAND_MS);
        if (rollback.hung) tally.add("hangs");
        child.kill("SIGCONT");
        const woken = await finish(child, COMMAND_MS);
        await settle(app);
        if (woken.hung) tally.add("hangs");
        const outcome = outcomeOf(woken) ?? "";
        tally.add(`woken: ${outcome || `exit ${woken.code}`}`);
        note = `rollback → ${rollback.code} ${outcomeOf(rollback) ?? ""}; woken → ${woken.code} ${outcome}`;
        // Superseded (3), or it ran its rollout after all (0), or it had changed nothing yet and says so (6, lease-lost).
        const fine = [0, 3].includes(woken.code ?? -1) || (woken.code === 6 && outcome === "lease-lost");
        if (!fine && !finishedFirst) fail(trial, `the woken process exited ${woken.code}: ${woken.stdout.slice(-400)}`);
        // A process stopped before it had taken anything may legitimately run its rollout once woken;
        // anything still in flight is finished the way on-call would.
        if ((await cleanAfter(app, APP, 5_000)).length > 0) {
          const again = await run(app, ["rollback", "-o", "json"], COMMAND_MS);
          if (again.hung) tally.add("hangs");
          tally.add("needed a second rollback");
        }
      }
      const problems = await cleanAfter(app, APP);
      if (problems.length === 0) tally.add("recovered");
      else fail(trial, `not clean after ${kind} at ${at} ms: ${problems.join("; ")}`);
      judgeInvariants(watcher, tally, failures, `trial ${trial}`);
      options.log(
        `crash ${trial}/${trials}: ${kind} at ${at} ms; ${note}; ${problems.length === 0 ? "clean" : problems.join("; ")}`,
      );
    }
  } finally {
    await app.stop();
  }
  return campaign.report(app.onCluster, [
    "trials",
    "recovered",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);
}
