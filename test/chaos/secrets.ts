// Secrets campaign: marker values stand in for the registry password, the
// kubeconfig's token, the token an exec credential plugin hands out, and the
// Prometheus bearer token. Every command runs with --verbose, as text and as
// -o json, inside a pretend GitHub Actions and GitLab CI job — successes, failures (a broken
// canary, an unreachable registry, a Prometheus that echoes the request's
// Authorization header back, a plugin that fails) and broken kubeconfigs
// included — and no marker (nor its base64) may appear in stdout, stderr, the
// Kubernetes Events, the state ConfigMap, the GitHub step summary and outputs,
// or GitLab's dotenv report and summary file.
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { R } from "../../sandbox/resources.ts";
import { demoImage, startSandboxApp } from "../helpers/sandbox-app.ts";
import { Campaign, type CampaignOptions, type CampaignReport, run } from "./lib/trial.ts";

const APP = "vault";
const COMMAND_MS = 3 * 60_000;

export async function secretsCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const campaign = new Campaign("secrets");
  const { tally, failures } = campaign;
  const markers: Record<string, string> = {
    "registry password": `marker-registry-password-${options.seed}`,
    "prometheus token": `marker-prom-token-${options.seed}`,
  };
  // A Prometheus that wants the token, and one that refuses it echoing the request's Authorization back.
  const prometheus = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/echo") || req.headers.authorization !== `Bearer ${markers["prometheus token"]}`) {
        res.writeHead(401).end(`unauthorized: ${req.headers.authorization}`);
        return;
      }
      const at = Date.now() / 1000;
      const query = req.url ?? "";
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          status: "success",
          data: { resultType: "vector", result: [{ metric: { code: "200" }, value: [at, query ? "600" : "600"] }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => prometheus.listen(0, "127.0.0.1", resolve));
  const promUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
  const config = (url: string) => `app: ${APP}
deployment:
  replicas: 1
traffic:
  router: nginx
  host: ${APP}.local
image:
  repository: localhost:5999/shop/${APP}
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 30s
  progressDeadline: 3m
analysis:
  inconclusiveLimit: 1
  metrics:
    provider: prometheus
    prometheus: { url: "${url}", timeout: 1s, bearerToken: "\${PROM_TOKEN}" }
    minRequests: 1
    checks:
      - { name: error-rate, max: 0.5 }
`;
  const app = await startSandboxApp(config(promUrl), { token: `marker-kube-token-${options.seed}` });
  const work = await mkdtemp(join(tmpdir(), "grayctl-chaos-secrets-"));
  try {
    markers["kubeconfig token"] = app.sandbox.token;
    // The exec plugin hands out the same working token: only the plugin's path knows it in those runs.
    markers["exec-plugin token"] = app.sandbox.token;
    const summary = join(work, "step-summary.md");
    const outputs = join(work, "github-output");
    const dotenv = join(work, "grayctl.env");
    const gitlabSummary = join(work, "grayctl-summary.md");
    await writeFile(summary, "");
    await writeFile(outputs, "");
    const env = {
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: outputs,
      GITLAB_CI: "true",
      GRAYCTL_DOTENV: dotenv,
      GRAYCTL_SUMMARY: gitlabSummary,
      GRAYCTL_REGISTRY_USERNAME: "ci",
      GRAYCTL_REGISTRY_PASSWORD: markers["registry password"],
      PROM_TOKEN: markers["prometheus token"],
    };
    const kubeconfigs = await writeKubeconfigs(work, app.sandbox.kubeconfigPath, app.sandbox.token);
    const echoConfig = join(work, "echo.yaml");
    await writeFile(echoConfig, `namespace: ${app.namespace}\n${config(`${promUrl}/echo`)}`);
    const k = (name: keyof typeof kubeconfigs) => ["--kubeconfig", kubeconfigs[name]];
    const commands: { args: string[]; note: string }[] = [
      { args: ["validate"], note: "validate" },
      { args: ["rollout", "--image", demoImage("vault-v1")], note: "first deploy" },
      { args: ["status"], note: "status" },
      { args: ["history"], note: "history" },
      { args: ["rollout", "--image", demoImage("vault-v2")], note: "a promotion gated on Prometheus" },
      { args: ["rollout", "--image", demoImage("vault-v3-unhealthy")], note: "a broken canary (fails)" },
      {
        args: ["--config", echoConfig, "rollout", "--image", demoImage("vault-v4")],
        note: "Prometheus echoing the token (fails)",
      },
      { args: ["rollback", "--reason", "drill"], note: "rollback" },
      { args: ["abort"], note: "abort with nothing in flight" },
      { args: ["promote"], note: "promote with nothing paused" },
      { args: ["resume"], note: "resume with nothing interrupted" },
      { args: ["rollout", "--image", "localhost:5999/shop/vault:v9"], note: "an unreachable registry (fails)" },
      { args: ["build"], note: "build (fails: no git repository, no engine)" },
      { args: [...k("exec"), "status"], note: "exec plugin: status" },
      { args: [...k("exec"), "rollout", "--image", demoImage("vault-v5")], note: "exec plugin: a promotion" },
      { args: [...k("exec"), "rollback"], note: "exec plugin: rollback" },
      { args: [...k("execFails"), "status"], note: "exec plugin that fails, printing the token to stderr" },
      { args: [...k("brokenYaml"), "status"], note: "a kubeconfig that is not YAML" },
      { args: [...k("unreachable"), "status"], note: "a kubeconfig whose server does not answer" },
      { args: [...k("wrongToken"), "status"], note: "a kubeconfig whose token is refused (401)" },
    ];
    for (const { args, note } of commands) {
      const exits: (number | null)[] = [];
      for (const format of [[], ["-o", "json"]]) {
        const result = await run(app, ["--verbose", ...format, ...args], COMMAND_MS, {
          ...env,
          GRAYCTL_TEST_REQUEST_TIMEOUT_MS: "2000",
          GRAYCTL_TEST_CALL_BUDGET_MS: "4000",
        });
        tally.add("commands run");
        exits.push(result.code);
        if (result.code !== 0) tally.add("failing commands");
        if (result.hung) tally.add("hangs");
        const leaks = leaksIn(markers, { stdout: result.stdout, stderr: result.stderr });
        tally.add("leaks", leaks.length);
        for (const leak of leaks)
          failures.push(`${note} (${format.join(" ") || "text"}, exit ${result.code}): ${leak}`);
      }
      options.log(`secrets: ${note} → exit ${exits.join("/")}`);
    }
    const events = app.sandbox.store.list(R.events, app.namespace);
    const state = app.sandbox.store.get(R.configmaps, app.namespace, `${APP}-grayctl`);
    const places = {
      Events: JSON.stringify(events),
      "the state ConfigMap": JSON.stringify(state),
      "the GitHub step summary": await readFile(summary, "utf8"),
      "the GitHub outputs": await readFile(outputs, "utf8"),
      // Replaced by every command: what the last one wrote.
      "the GitLab dotenv report": await readFile(dotenv, "utf8"),
      "the GitLab summary": await readFile(gitlabSummary, "utf8"),
    };
    tally.add("Events", events.length);
    for (const leak of leaksIn(markers, places)) failures.push(leak);
    tally.add("leaks", leaksIn(markers, places).length);
    if (!/^### .*grayctl.*: /m.test(places["the GitHub step summary"]))
      failures.push("the step summary was never written");
    if (!places["the GitHub outputs"].includes("outcome<<")) failures.push("the GitHub outputs were never written");
  } finally {
    await app.stop();
    prometheus.close();
    prometheus.closeAllConnections();
    await rm(work, { recursive: true, force: true });
  }
  return campaign.report(app.onCluster, ["leaks", "hangs"]);
}

function leaksIn(markers: Record<string, string>, places: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [place, text] of Object.entries(places)) {
    for (const [what, marker] of Object.entries(markers)) {
      for (const form of [marker, Buffer.from(marker).toString("base64")])
        if (text.includes(form)) found.push(`the ${what} appears in ${place}${form === marker ? "" : " (base64)"}`);
    }
  }
  return found;
}

/** Kubeconfigs for the same API: the token from an exec plugin, a failing plugin, broken YAML, a dead server, a wrong token. */
async function writeKubeconfigs(dir: string, base: string, token: string) {
  const config = parse(await readFile(base, "utf8"));
  const plugin = async (name: string, script: string) => {
    const path = join(dir, `${name}.sh`);
    await writeFile(path, `#!/bin/sh\n${script}\n`);
    await chmod(path, 0o755);
    return { exec: { apiVersion: "client.authentication.k8s.io/v1", command: path, interactiveMode: "Never" } };
  };
  const write = async (name: string, content: string) => {
    const path = join(dir, `${name}.kubeconfig`);
    await writeFile(path, content);
    return path;
  };
  const changed = (change: (copy: typeof config) => void) => {
    const copy = structuredClone(config);
    change(copy);
    return stringify(copy);
  };
  const credential = JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    status: { token },
  });
  const execUser = await plugin("exec", `echo '${credential}'`);
  const failingUser = await plugin("fails", `echo "cannot refresh ${token}" >&2; exit 1`);
  return {
    exec: await write(
      "exec",
      changed((copy) => (copy.users[0].user = execUser)),
    ),
    execFails: await write(
      "exec-fails",
      changed((copy) => (copy.users[0].user = failingUser)),
    ),
    brokenYaml: await write("broken", `${stringify(config)}\n  token: ${token}\n   : [\n`),
    unreachable: await write(
      "unreachable",
      changed((copy) => (copy.clusters[0].cluster.server = "http://127.0.0.1:9")),
    ),
    wrongToken: await write(
      "wrong-token",
      changed((copy) => (copy.users[0].user = { token: `${token}-wrong` })),
    ),
  };
}
