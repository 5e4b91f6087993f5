// Orphan campaign (issue 20): a rollout SIGKILLed at a random moment, or
// SIGSTOPped past its Lease, and then one `grayctl guard` pass with no
// configuration file, as its CronJob would run it. After the pass no canary
// may be left with traffic and no owner, and a stopped owner woken afterwards
// must write nothing (the invariant watcher counts writes after lost ownership).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { seededRandom } from "../../src/analysis/random.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { roleKubeconfig } from "../helpers/cluster-sandbox.ts";
import { demoImage, type SandboxApp } from "../helpers/sandbox-app.ts";
import { InvariantWatcher } from "./lib/invariants.ts";
import {
  appConfig,
  Campaign,
  type CampaignOptions,
  type CampaignReport,
  campaignApp,
  cleanAfter,
  finish,
  judgeInvariants,
  outcomeOf,
  run,
  settle,
  sleep,
} from "./lib/trial.ts";

const APP = "orphan";
const LEASE_MS = 3_000;
const CONFIG = appConfig(
  APP,
  `interval: 1s
  readyTimeout: 30s
  progressDeadline: 3m
  leaseDuration: ${LEASE_MS / 1000}s`,
);
const COMMAND_MS = 120_000;

/** The guard's kubeconfig: on a real cluster, the ServiceAccount of the Role `guard install` writes. */
async function guardKubeconfig(app: SandboxApp, dir: string): Promise<string> {
  if (!app.onCluster) return app.sandbox.kubeconfigPath;
  const printed = await runCli(["-n", app.namespace, "guard", "install"]);
  const rbacYaml = printed.stdout
    .split(/^---$/m)
    .filter((doc) => !/^kind: CronJob$/m.test(doc))
    .join("---\n");
  const server = parse(await readFile(app.sandbox.kubeconfigPath, "utf8")).clusters[0].cluster.server;
  return roleKubeconfig(join(dir, "guard.kubeconfig"), {
    namespace: app.namespace,
    rbacYaml,
    serviceAccount: "grayctl-guard",
    server,
  });
}

export async function orphanCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("orphan");
  const trials = options.trials ?? 4;
  const random = seededRandom(options.seed);
  const { app, log } = await campaignApp(APP, CONFIG);
  const dir = await mkdtemp(join(tmpdir(), "grayctl-orphan-"));
  const { tally, failures } = campaign;
  const fail = (trial: number, what: string) => failures.push(`trial ${trial}: ${what}`);
  try {
    const kubeconfig = await guardKubeconfig(app, dir);
    // No grayctl.yaml where the guard runs: all it knows is in the cluster.
    const guard = () =>
      finish(
        spawnCli(["--kubeconfig", kubeconfig, "-n", app.namespace, "-o", "json", "guard", "--grace", "1s"], {
          cwd: dir,
          env: { GRAYCTL_ACTOR: "guard", GRAYCTL_CONFIG: undefined },
        }),
        COMMAND_MS,
      );
    const measured = await run(app, ["rollout", "--image", demoImage(`orphan-s${options.seed}-0`)], COMMAND_MS);
    if (measured.code !== 0) throw new Error(`an undisturbed rollout failed (${measured.code}): ${measured.stderr}`);
    const typicalMs = measured.ms;
    options.log(`orphan: an undisturbed rollout takes ${(typicalMs / 1000).toFixed(1)} s`);

    for (let trial = 1; trial <= trials; trial++) {
      const kind = trial % 3 === 0 ? "stop" : "kill";
      const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, APP, log);
      const child = app.spawn(["rollout", "--image", demoImage(`orphan-s${options.seed}-${trial}`), "-o", "json"]);
      const at = Math.round(random() * typicalMs);
      await sleep(at);
      tally.add("trials");
      tally.add(`${kind} trials`);
      child.kill(kind === "kill" ? "SIGKILL" : "SIGSTOP");
      if (kind === "kill") await child.done;
      const pass = await guard();
      await settle(app);
      if (pass.hung) tally.add("hangs");
      if (pass.code !== 0) fail(trial, `the guard exited ${pass.code}: ${pass.stderr.slice(-400)}`);
      const acted = outcomeOf(pass) === "guard-acted";
      if (acted) tally.add("guard acted");
      let note = `guard → ${pass.code} ${outcomeOf(pass) ?? ""}`;
      // Right after the pass, before anyone else acts: no canary with traffic and no owner.
      const left = await cleanAfter(app, APP, kind === "stop" ? 0 : 5_000);
      if (kind === "stop") {
        child.kill("SIGCONT");
        const woken = await finish(child, COMMAND_MS);
        await settle(app);
        if (woken.hung) tally.add("hangs");
        note += `; woken → ${woken.code} ${outcomeOf(woken) ?? ""}`;
        // A process stopped before the guard's pass found anything to take may run on once woken.
        if (acted && woken.code !== 3) fail(trial, `the woken owner exited ${woken.code}, not superseded`);
      }
      const problems = kind === "stop" ? await cleanAfter(app, APP) : left;
      if (problems.length === 0) tally.add("clean after the guard");
      else {
        tally.add("canaries left unowned");
        fail(trial, `not clean after ${kind} at ${at} ms and a guard pass: ${problems.join("; ")}`);
        await run(app, ["rollback", "-o", "json"], COMMAND_MS);
      }
      judgeInvariants(watcher, tally, failures, `trial ${trial}`);
      options.log(
        `orphan ${trial}/${trials}: ${kind} at ${at} ms; ${note}; ${problems.length === 0 ? "clean" : problems.join("; ")}`,
      );
    }
  } finally {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return campaign.report(app.onCluster, [
    "trials",
    "clean after the guard",
    "canaries left unowned",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);
}
