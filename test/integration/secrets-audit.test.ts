// The secrets audit of issue 23: one unique marker per kind of secret, each
// put where a team puts it (a notify URL from the environment, a token in a
// command gate's arguments, a vendor's header, a hook URL…), then the built
// grayctl runs validate, plan, rollout and status --verbose on the sandbox, as
// text and -o json, inside a pretend GitHub Actions and GitLab CI job. No
// marker — nor its base64 (at any byte offset), URL-encoded or JSON-escaped
// form — may appear in stdout, stderr (`::error` included), the GitHub step
// summary and outputs, GitLab's summary and dotenv report, the notifications and
// hook calls a real local receiver got, the state ConfigMap, its history, or
// the Kubernetes Events. Each test names the finding (a)–(g) it covers.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { R } from "../../sandbox/resources.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver.ts";

// Each marker has randomness of its own: a shared part would let one marker's base64 match another's.
const unique = (label: string) => `${label}${randomBytes(5).toString("hex")}`;
const seed = randomBytes(4).toString("hex");
const dTail = unique("mkd").slice(-10);
const MARKERS = {
  a: unique("mka-notify-url-"),
  b1: unique("mkb-key-"),
  b2: unique("mkb-token-"),
  c: unique("mkc-smoke-token-"),
  // (d): only the secret's last ten characters survive a cut that begins inside it.
  dSecret: `dsecret-head-${randomBytes(6).toString("hex")}${dTail}`,
  d: dTail,
  e: unique("mke-honeycomb-"),
  f: unique("mkf-api-key-"),
  g: unique("mkg-hook-url-"),
};

const BASE = `app: vault
namespace: default
deployment:
  replicas: 1
traffic:
  router: nginx
  host: vault.local
rollout:
  steps: [50, 100]
  interval: 1s
  readyTimeout: 10s
  progressDeadline: 1m
  scaleDownDelay: 0s
`;

// A command gate as a team writes one: it prints a secret-named variable base64-encoded (f),
// then a long line in which the cut to the output's last 2,000 characters begins inside a secret (d).
const GATE = `
const f = "key: " + Buffer.from(process.env.VENDOR_API_KEY).toString("base64");
const d = "x".repeat(50) + process.env.GATE_SECRET + "y".repeat(2000 - 1 - f.length - 10);
console.log(d);
console.log(f);
process.exit(1);
`;

let app: SandboxApp;
/** The configuration's start, in the app's namespace (a namespace of its own on the real control plane). */
const base = () => BASE.replace("namespace: default", `namespace: ${app.namespace}`);
let receiver: WebhookReceiver;
let vendor: Server;
let vendorUrl: string;
/** Everything grayctl printed or wrote in a report, by where. */
const seen: { place: string; text: string }[] = [];

function ciEnv(dir: string) {
  return {
    GITHUB_ACTIONS: "true",
    GITHUB_STEP_SUMMARY: join(dir, "step-summary.md"),
    GITHUB_OUTPUT: join(dir, "github-output"),
    GITLAB_CI: "true",
    GRAYCTL_DOTENV: join(dir, "grayctl.env"),
    GRAYCTL_SUMMARY: join(dir, "grayctl-summary.md"),
  };
}

/** Runs grayctl as text and as -o json in the CI job; records every output and report. */
async function run(note: string, args: string[], env: Record<string, string>) {
  const ci = ciEnv(app.dir);
  const codes: (number | null)[] = [];
  for (const format of [[], ["-o", "json"]]) {
    const result = await app.grayctl(["--verbose", ...format, ...args], { env: { ...ci, ...env }, timeoutMs: 90_000 });
    codes.push(result.code);
    const how = `${note} (${format.join(" ") || "text"})`;
    seen.push({ place: `stdout of ${how}`, text: result.stdout });
    seen.push({ place: `stderr of ${how}`, text: result.stderr });
    // GitLab's reports are replaced by each command: read them after each one.
    for (const file of [ci.GRAYCTL_DOTENV, ci.GRAYCTL_SUMMARY])
      seen.push({ place: `${file} after ${how}`, text: await readFile(file, "utf8").catch(() => "") });
  }
  return codes;
}

/** The places that accumulate: the GitHub reports, the receiver, the cluster's objects. */
async function everywhere(): Promise<{ place: string; text: string }[]> {
  const ci = ciEnv(app.dir);
  const state = app.sandbox.store.get(R.configmaps, app.namespace, "vault-grayctl");
  return [
    ...seen,
    { place: "the GitHub step summary", text: await readFile(ci.GITHUB_STEP_SUMMARY, "utf8").catch(() => "") },
    { place: "the GitHub outputs", text: await readFile(ci.GITHUB_OUTPUT, "utf8").catch(() => "") },
    // Bodies and headers only: the request's path is the notify URL itself, which the receiver must see.
    ...receiver.received.map((r) => ({ place: `a request to the receiver (${r.path.slice(0, 8)}…)`, text: r.body })),
    { place: "the state ConfigMap (state and history)", text: JSON.stringify(state ?? {}) },
    { place: "the Events", text: JSON.stringify(app.sandbox.store.list(R.events, app.namespace)) },
  ];
}

/** The marker and the forms it travels in. */
function forms(marker: string): string[] {
  const out = [marker, encodeURIComponent(marker), JSON.stringify(marker).slice(1, -1)];
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(marker)]).toString("base64");
    out.push(encoded.slice(shift === 0 ? 0 : 4, -4));
  }
  return [...new Set(out)];
}

/** Where each marker (labelled by its finding) was found, in any of its forms; all are searched before asserting. */
async function assertNowhere(markers: Record<string, string>) {
  const places = await everywhere();
  const leaks = new Set<string>();
  for (const [what, marker] of Object.entries(markers))
    for (const { place, text } of places)
      for (const form of forms(marker))
        if (text.includes(form)) leaks.add(`${what} in ${place}${form === marker ? "" : ` (as ${form})`}`);
  assert.deepEqual([...leaks], []);
}

before(async () => {
  receiver = await startWebhookReceiver();
  // A vendor's query API that refuses the team it was sent, quoting the header back, as APIs do.
  vendor = createServer((req, res) =>
    res.writeHead(401).end(`unknown team ${req.headers["x-honeycomb-team"]}; check the X-Honeycomb-Team header`),
  );
  await new Promise<void>((resolve) => vendor.listen(0, "127.0.0.1", resolve));
  vendorUrl = `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`;
  app = await startSandboxApp(BASE);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});

after(async () => {
  await app?.stop();
  await receiver?.stop();
  vendor?.close();
});

test("(a, g) an invalid configuration's notify URL from the environment and hook URL are masked in every report", async () => {
  await writeFile(
    app.configPath,
    `${base()}notify:\n  - url: \${NOTIFY_URL}\nhooks:\n  onRollback:\n    - name: ticket\n      url: "hooks example/${MARKERS.g}"\n`,
  );
  const env = { NOTIFY_URL: `hooks.example.com/services/${MARKERS.a}` };
  const validate = await run("validate with a malformed notify URL", ["validate"], env);
  const rollout = await run("rollout with a malformed notify URL", ["rollout", "--image", demoImage("v2")], env);
  assert.deepEqual([...validate, ...rollout], [2, 2, 2, 2]);
  // The error still names the fields, without their values.
  assert.match(seen.at(-4)?.text ?? "", /notify\[0\]\.url/);
  await assertNowhere({ "the notify URL (a)": MARKERS.a, "the hook URL (g)": MARKERS.g });
});

test("(b) a registered URL with ?key=…&token=… is masked in ::error and both summaries, which escape % and &", async () => {
  await writeFile(
    app.configPath,
    `${base()}notify:\n  - url: \${NOTIFY_URL}\n    events: [failed]\nhooks:\n  preRollout:\n    - name: ticket\n      command: [sh, -c, 'echo "calling $NOTIFY_URL"; exit 1']\n`,
  );
  const env = { NOTIFY_URL: `${receiver.url}/notify?key=${MARKERS.b1}%21&token=${MARKERS.b2}` };
  const codes = await run(
    "rollout whose preRollout hook prints the notify URL",
    ["rollout", "--image", demoImage("v2")],
    env,
  );
  assert.deepEqual(codes, [3, 3]);
  const summary = await readFile(ciEnv(app.dir).GITHUB_STEP_SUMMARY, "utf8");
  assert.match(summary, /preRollout hook/, "the step summary says why");
  await assertNowhere({ "the URL's key (b)": MARKERS.b1, "the URL's token (b)": MARKERS.b2 });
});

test("(c, d, e, f) gate arguments, cut output, a vendor header and a base64-encoded variable are masked in state, history, Events, notifications and reports", async () => {
  await writeFile(join(app.dir, "gate.mjs"), GATE);
  await writeFile(
    app.configPath,
    `${base()}analysis:
  checks:
    - name: smoke
      command: [node, gate.mjs, "--token=\${SMOKE_TOKEN}"]
      timeout: 20s
    - name: vendor
      url: ${vendorUrl}/query
      headers: { X-Honeycomb-Team: "${MARKERS.e}" }
      value: $.value
      max: 1
      timeout: 2s
notify:
  - url: \${NOTIFY_URL}
hooks:
  onRollback:
    - name: ticket
      url: ${receiver.url}/hook
`,
  );
  const env = {
    NOTIFY_URL: `${receiver.url}/notify/T000/B000/${seed}`,
    SMOKE_TOKEN: MARKERS.c,
    GATE_SECRET: MARKERS.dSecret,
    VENDOR_API_KEY: MARKERS.f,
  };
  const plan = await run("plan with a command gate", ["plan", "--image", demoImage("v2")], env);
  const rollout = await run("rollout whose gates fail", ["rollout", "--image", demoImage("v2")], env);
  const status = await run("status --verbose", ["status"], env);
  assert.equal(plan[0], 0, seen.find((s) => s.place.startsWith("stderr of plan"))?.text);
  assert.ok(
    rollout.every((code) => code !== 0 && code !== null),
    `rollout exits ${rollout}`,
  );
  assert.deepEqual(status, [0, 0]);
  // The audit saw what it searches: the gates' records, the rollback notification and the hook call.
  assert.ok(receiver.received.some((r) => r.path.startsWith("/notify") && /rolled-back/.test(r.body)));
  assert.ok(receiver.received.some((r) => r.path === "/hook"));
  await assertNowhere({
    "the command gate's --token (c)": MARKERS.c,
    "the end of a secret the output's cut began inside (d)": MARKERS.d,
    "the X-Honeycomb-Team header (e)": MARKERS.e,
    "the secret-named variable, base64-encoded (f)": MARKERS.f,
  });
  const state = JSON.stringify(app.sandbox.store.get(R.configmaps, app.namespace, "vault-grayctl"));
  assert.match(state, /--token=\*\*\*/, "the command gate's recorded arguments, masked");
  assert.match(state, /unknown team \*\*\*/, "the vendor's answer, masked");
});
