// A rollout, a failed rollout and a rollback as a person at a terminal sees
// them: the built grayctl on a pseudo-terminal (util-linux `script`, 120
// columns) against the sandbox, its byte stream rendered to the screen it
// leaves (test/helpers/terminal-screen.ts: what is left once the spinners are
// done). With GRAYCTL_WRITE_CAPTURES=1 the screens are written to
// docs/examples/*.txt, the examples the docs show.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { runOnTerminal } from "../helpers/pseudo-terminal.ts";
import { demoImage, type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";
import { renderScreen } from "../helpers/terminal-screen.ts";

const COLUMNS = 120;
const EXAMPLES = fileURLToPath(new URL("../../docs/examples/", import.meta.url));

let app: SandboxApp;

before(async () => {
  app = await startSandboxApp(`app: shop
namespace: default
deployment:
  replicas: 2
traffic:
  router: nginx
  host: shop.local
rollout:
  steps: [20, 50, 100]
  interval: 2s
  readyTimeout: 6s
  progressDeadline: 2m
`);
  const first = await app.grayctl(["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr);
});

after(() => app.stop());

/** Runs grayctl on the terminal; returns the screen it left and the raw stream (spinner frames included). */
async function onTerminal(args: string[], capture: string) {
  const result = await runOnTerminal(
    ["--kubeconfig", app.sandbox.kubeconfigPath, "--config", app.configPath, ...args],
    {
      cwd: app.dir,
      env: { GRAYCTL_ACTOR: "alice" },
      timeoutMs: 120_000,
    },
  );
  const screen = renderScreen(result.stdout, COLUMNS);
  if (process.env.GRAYCTL_WRITE_CAPTURES === "1") {
    await mkdir(EXAMPLES, { recursive: true });
    const command = `$ grayctl ${args.map((arg) => (/[\s{}[\]]/.test(arg) ? `'${arg}'` : arg)).join(" ")}`;
    await writeFile(`${EXAMPLES}${capture}.txt`, `${command}\n${screen}\n$ echo $?\n${result.code}\n`);
  }
  return { code: result.code, screen, lines: screen.split("\n"), raw: result.stdout };
}

/** The screen's lines as logical lines: a line the terminal wrapped at its width is joined again. */
function unwrapped(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const previous = out.at(-1);
    if (previous !== undefined && previous.length % COLUMNS === 0 && previous.length > 0) out[out.length - 1] += line;
    else out.push(line);
  }
  return out;
}

test("a rollout: the plan first, the canary's progress live, one line per step, the result last", async () => {
  const { code, lines, raw } = await onTerminal(["rollout", "--image", demoImage("v2")], "rollout");
  assert.equal(code, 0, raw);
  const shown = unwrapped(lines);
  assert.match(
    shown[0],
    /^rollout of shop in default: sandbox\.local\/demo-app:v1@sha256:[0-9a-f]{12} → sandbox\.local\/demo-app:v2@sha256:[0-9a-f]{12}; steps 20% → 50% → 100%, 2s each; gates: health; expected 6s plus pod start-up$/,
  );
  // While it ran, the spinner showed the pods coming up and the window counting down.
  assert.match(raw, /step 1\/3: 20% to canary · (0\/1 canary pods ready|ready canary 1\/1 stable 2\/2 · \ds left)/);
  assert.doesNotMatch(raw, /0ms left/);
  // What stays: one ✔ line per step, each with its gate below, then the result.
  const steps = shown.filter((line) => /^✔ step \d\/3/.test(line));
  assert.deepEqual(steps, [
    "✔ step 1/3: 20% to canary: window of 2s done",
    "✔ step 2/3: 50% to canary: window of 2s done",
    "✔ step 3/3: 100% to canary: window of 2s done",
  ]);
  assert.match(shown.at(-1) ?? "", /^✔ promoted sandbox\.local\/demo-app:v2@sha256:[0-9a-f]{64}: stable runs it/);
});

test("a failed rollout: the canary never becomes ready, named with its readiness probe's answer; rolled back", async () => {
  const { code, lines, raw } = await onTerminal(["rollout", "--image", demoImage("v3-unhealthy")], "failed-rollout");
  assert.equal(code, 3, raw);
  const shown = unwrapped(lines);
  assert.match(shown[0], /^rollout of shop in default: \S+:v2@\S+ → \S+:v3-unhealthy@sha256:[0-9a-f]{12}; steps/);
  assert.match(raw, /step 1\/3: 20% to canary · 0\/1 canary pods ready/, "the wait was shown while it lasted");
  assert.ok(
    shown.some((line) => /^✖ step 1\/3: 20% to canary · 0\/1 canary pods ready$/.test(line)),
    raw,
  );
  assert.ok(
    shown.some((line) =>
      /^⚠ rolling back: health: 0\/1 canary pods ready in time: pod shop-canary-\S+ is not ready: its readiness probe GET :8080\/healthz answered HTTP 500$/.test(
        line,
      ),
    ),
    raw,
  );
  assert.match(shown.at(-1) ?? "", /^✖ rolled back \S+v3-unhealthy\S+: health: .*; traffic is 100% on stable$/);
});

test("a rollback of a canary in flight: traffic back on stable, the canary gone", async () => {
  // On-call's case: a canary paused at 20 % (exit 4), then `grayctl rollback`.
  const paused = await app.grayctl([
    "rollout",
    "--image",
    demoImage("v4"),
    "--set",
    "rollout.steps=[{weight: 20, pause: manual}, 100]",
  ]);
  assert.equal(paused.code, 4, paused.stderr);
  const { lines, raw } = await onTerminal(["rollback", "--reason", "checkout errors on v4"], "rollback");
  // Its exit code is issue 19.6's (operate-rollback tests); what is checked here is what it shows and does.
  assert.match(unwrapped(lines).join("\n"), /checkout errors on v4/, raw);
  assert.equal(app.history().at(-1)?.outcome, "rolled-back");
  assert.equal(app.state()?.weight, 0);
});
