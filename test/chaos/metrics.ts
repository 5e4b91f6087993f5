// Metric outage campaign: the metrics a step is judged on are missing at
// random steps — Prometheus down (connections reset, or 503), slow (beyond the
// query timeout), answering an empty vector, or NaN; with the pods provider,
// the pods' /metrics unreachable or slow through the pod proxy. A step whose
// data is missing must never pass: a rollout that met missing data at any step
// is rolled back (inconclusive, then fail-safe), never promoted. Rollouts with
// good data throughout are promoted. Prometheus is a fake of our own that
// answers the built-in queries as the step's plan says.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "../../src/analysis/random.ts";
import { R } from "../../sandbox/resources.ts";
import { startLoad } from "../helpers/load.ts";
import { demoImage, type SandboxApp } from "../helpers/sandbox-app.ts";
import { InvariantWatcher, type RequestLog } from "./lib/invariants.ts";
import {
  appConfig,
  campaignApp,
  judgeInvariants,
  type CampaignOptions,
  type CampaignReport,
  Campaign,
  cleanAfter,
  events,
  observe,
  outcomeOf,
  run,
} from "./lib/trial.ts";

const COMMAND_MS = 5 * 60_000;
const STEPS = 3;
type PromMode = "good" | "down" | "503" | "slow" | "empty" | "nan";
type PodsMode = "good" | "down" | "slow";
const BAD_PROM: PromMode[] = ["down", "503", "slow", "empty", "nan"];
const BAD_PODS: PodsMode[] = ["down", "slow"];

function configFor(app: string, metrics: string): string {
  return appConfig(
    app,
    "interval: 3s\nreadyTimeout: 60s\nprogressDeadline: 5m",
    `analysis:
  inconclusiveLimit: 1
  metrics:
${metrics}`,
  );
}

/** The plan of a trial: every step good, or one step (at random) bad in one way. */
function planFor<T extends string>(trial: number, random: () => number, bad: T[]): (T | "good")[] {
  const plan: (T | "good")[] = Array(STEPS).fill("good");
  if (trial % 3 !== 1) plan[Math.floor(random() * STEPS)] = bad[Math.floor(random() * bad.length)];
  return plan;
}

/** A Prometheus that answers grayctl's built-in queries: healthy numbers, or the step's outage. */
async function fakePrometheus(mode: () => PromMode, token: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end("unauthorized");
        return;
      }
      const now = mode();
      if (now === "down") return void req.socket.destroy();
      if (now === "503") return void res.writeHead(503).end("service unavailable");
      const query =
        new URLSearchParams(body).get("query") ?? new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
      const at = Date.now() / 1000;
      const value = (v: string) => [at, now === "nan" ? "NaN" : v];
      const result =
        now === "empty"
          ? []
          : query.includes("_bucket")
            ? // latency-p99 reads bucket counts (the anytime-valid rule): a fast track, 600 requests.
              [
                ["0.05", "500"],
                ["0.1", "590"],
                ["0.25", "598"],
                ["0.5", "600"],
                ["+Inf", "600"],
              ].map(([le, count]) => ({ metric: { le }, value: value(count) }))
            : query.includes("histogram_quantile")
              ? [{ metric: {}, value: value("0.05") }]
              : query.includes("_count")
                ? [{ metric: {}, value: value("600") }]
                : [{ metric: { code: "200" }, value: value("600") }];
      const answer = () =>
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
      // Slow: beyond the query timeout (1 s) and its retries.
      if (now === "slow") setTimeout(answer, 4_000).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function metricsCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("metrics");
  const trials = options.trials ?? 2;
  const random = seededRandom(options.seed);
  const { tally, failures } = campaign;
  let onCluster = false;

  /** One rollout under a plan: judged on whether missing data ever let a step pass. */
  async function trial(
    app: SandboxApp,
    name: string,
    number: number,
    plan: string[],
    served: Set<string>,
    log: RequestLog,
    env?: Record<string, string>,
  ) {
    const watcher = new InvariantWatcher(app.sandbox.store, app.namespace, name, log);
    const load = startLoad({ url: app.sandbox.frontDoorUrl!, host: `${name}.local`, rate: 150, durationMs: 240_000 });
    const result = await run(
      app,
      ["rollout", "--image", demoImage(`${name}-s${options.seed}-${number}`), "-o", "json"],
      COMMAND_MS,
      env,
    );
    await load.stop();
    const outcome = outcomeOf(result);
    const missing = [...served].some((mode) => mode !== "good");
    tally.add("trials");
    if (result.hung) tally.add("hangs");
    if (missing) tally.add("trials that met missing data");
    if (missing && outcome === "promoted") {
      tally.add("promotions on missing data");
      failures.push(
        `${name} ${number}: promoted although a step's data was ${[...served].join("/")} (plan ${plan.join(", ")})`,
      );
    } else if (missing && outcome === "rolled-back") tally.add("failed safe");
    else if (!missing && outcome === "promoted") tally.add("promoted on good data");
    else
      failures.push(
        `${name} ${number}: exit ${result.code} ${outcome} with plan ${plan.join(", ")}: ${result.stdout.slice(-300)}`,
      );
    const problems = await cleanAfter(app, name);
    if (problems.length > 0) failures.push(`${name} ${number}: not clean: ${problems.join("; ")}`);
    judgeInvariants(watcher, tally, failures, `${name} ${number}`);
    const reason = events(result.stdout).findLast((e) => e.type === "result")?.reason;
    options.log(
      `metrics ${name} ${number}: plan ${plan.join(", ")} → ${outcome}${reason ? ` (${String(reason).slice(0, 120)})` : ""}`,
    );
  }

  // Prometheus provider.
  {
    const token = `marker-prom-token-${options.seed}`;
    let plan: PromMode[] = [];
    const served = new Set<string>();
    let app: SandboxApp | undefined;
    const prometheus = await fakePrometheus(() => {
      const step = app ? (observe(app, "promgate").state?.stepIndex ?? -1) : -1;
      const mode = plan[step] ?? "good";
      served.add(mode);
      return mode;
    }, token);
    const env = { PROM_TOKEN: token };
    let log: RequestLog | undefined;
    try {
      ({ app, log } = await campaignApp(
        "promgate",
        configFor(
          "promgate",
          `    provider: prometheus
    prometheus: { url: "${prometheus.url}", timeout: 1s, bearerToken: "\${PROM_TOKEN}" }
    minRequests: 50
    checks:
      - { name: error-rate, max: 0.05 }
      - { name: latency-p99, max: 0.5 }
`,
        ),
        { env },
      ));
      onCluster = app.onCluster;
      for (let number = 1; number <= trials; number++) {
        plan = planFor(number, random, BAD_PROM);
        served.clear();
        await trial(app, "promgate", number, plan, served, log, env);
      }
    } finally {
      await app?.stop();
      prometheus.server.close();
      prometheus.server.closeAllConnections();
    }
  }

  // Pods provider: the pods' own /metrics through the pod proxy, cut at the planned step.
  {
    const { app, log } = await campaignApp(
      "podgate",
      configFor(
        "podgate",
        `    provider: pods
    minRequests: 20
    checks:
      - { name: error-rate, max: 0.05 }
      - { name: latency-p99, max: 0.5 }
`,
      ),
    );
    try {
      const podTrials = Math.max(1, Math.ceil(trials / 2));
      for (let number = 1; number <= podTrials; number++) {
        // The first pods trial meets an outage (the first Prometheus trial had good data throughout).
        const plan = planFor(number + 1, random, BAD_PODS);
        const served = new Set<string>();
        // Each change of step switches the pod proxy's /metrics to the step's plan.
        const stop = app.sandbox.store.watch(R.configmaps, app.namespace, undefined, () => {
          const step = observe(app, "podgate").state?.stepIndex ?? -1;
          const mode = plan[step] ?? "good";
          const path = "/proxy/metrics$";
          if (mode === "down")
            app.sandbox.faults.set([{ name: "metrics", verbs: ["proxy"], path, action: { type: "reset" } }]);
          else if (mode === "slow")
            app.sandbox.faults.set([
              { name: "metrics", verbs: ["proxy"], path, action: { type: "latency", ms: 7_000 } },
            ]);
          else app.sandbox.faults.clear();
          if (step >= 0) served.add(mode);
        });
        try {
          await trial(app, "podgate", number, plan, served, log);
        } finally {
          stop();
          app.sandbox.faults.clear();
        }
      }
    } finally {
      await app.stop();
    }
  }
  return campaign.report(onCluster, [
    "trials",
    "promotions on missing data",
    "hangs",
    "invariant violations",
    "writes after lost ownership",
  ]);
}
