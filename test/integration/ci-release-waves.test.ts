// The CI summary of a release in waves (issue 22) on two sandboxes: GitHub's
// step summary and GitLab's summary file hold a table of the targets by wave
// (how each rollout and rollback ended, the release, the duration) and one
// steps table and chart per target, drawn from that target's events alone;
// the failing target's gate is annotated with its name; no cluster's token
// reaches a report.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { demoImage } from "../helpers/sandbox-app.ts";
import { startWaveSandboxes, type WaveSandboxes } from "../helpers/wave-sandboxes.ts";

let waves: WaveSandboxes;
before(async () => {
  waves = await startWaveSandboxes();
  const first = await waves.grayctl(release(), ["rollout", "--image", demoImage("v1")]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
});
after(() => waves?.stop());

/** Targets a (wave 1, baked 1s) and b (wave 2), each through steps 50 and 100. */
function release(bSet = ""): string {
  return `app: shop
deployment: { replicas: 1 }
rollout: { steps: [50, 100], interval: 1s, readyTimeout: 6s, progressDeadline: 1m, scaleDownDelay: 0s }
targets:
  - { name: a, context: a }
  - { name: b, context: b${bSet ? `, set: { ${bSet} }` : ""} }
waves:
  - { targets: [a], bake: 1s }
  - { targets: [b] }
`;
}

const digest12 = (tag: string) => /@(sha256:[0-9a-f]{12})/.exec(demoImage(tag))![1];
const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "gm"))?.length ?? 0;

function noTokens(...texts: string[]) {
  for (const text of texts)
    for (const token of [waves.a.token, waves.b.token]) assert.equal(text.includes(token), false, "a token leaked");
}

test("GitHub: a promoted release's summary has the targets by wave, and each target's own steps and chart", async () => {
  const summary = join(waves.dir, "promote-summary.md");
  const output = join(waves.dir, "promote-output");
  await Promise.all([writeFile(summary, ""), writeFile(output, "")]);
  const run = await waves.grayctl(release(), ["rollout", "--image", demoImage("v2")], {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
  });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const text = await readFile(summary, "utf8");
  assert.match(text, /^### ✅ grayctl shop: promoted$/m);
  assert.match(text, /^\| Wave \| Target \| Rollout \| Rollback \| Release \| Duration \|$/m);
  for (const [wave, target] of [
    [1, "a"],
    [2, "b"],
  ])
    assert.match(
      text,
      new RegExp(
        `^\\| ${wave} \\| ${target} \\| ✅ promoted \\| — \\| revision 2 · \`${digest12("v2")}\` \\| \\d+(ms|s) \\|$`,
        "m",
      ),
    );
  // One steps table and one chart per target, each with that target's two steps only (not both targets' four).
  assert.match(text, /^#### a \(wave 1\): promoted$/m);
  assert.match(text, /^#### b \(wave 2\): promoted$/m);
  assert.equal(count(text, /^\| Step \| Weight \| Duration \| Gates \(canary vs stable\) \|$/), 2);
  assert.equal(count(text, /^```mermaid$/), 2);
  assert.match(text, /^ {2}title "shop · a: canary weight, %"$/m);
  assert.match(text, /^ {2}title "shop · b: canary weight, %"$/m);
  assert.equal(count(text, /^ {2}bar \[50, 100\]$/), 2);
  assert.equal(count(text, /^\| 1\/2 \| 50% \| [^|]+ \| ✅ health: /), 2);
  // Wave 1's table and chart come before wave 2's.
  assert.ok(text.indexOf("#### a (wave 1)") < text.indexOf("#### b (wave 2)"));
  noTokens(text, run.stderr, await readFile(output, "utf8"));
});

test("GitLab and GitHub: a bad canary in wave 2: b rolled back at its first step, a promoted then rolled back, the gate annotated with b's name", async () => {
  const summary = join(waves.dir, "rollback-summary.md");
  await writeFile(summary, "");
  // Both runners' integrations at once (each is independent): GitLab's file, GitHub's annotations and summary.
  const run = await waves.grayctl(
    release("analysis.healthz.path: /not-served"),
    ["rollout", "--image", demoImage("v3")],
    {
      GITLAB_CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: summary,
      CI: "true",
    },
  );
  assert.equal(run.code, 3, run.stderr + run.stdout);
  assert.match(run.stderr, /^::error title=grayctl%3A b%3A gate health failed at step 1\/2 \(50%25\)::/m);
  const gitlab = await readFile(join(waves.dir, "grayctl-summary.md"), "utf8");
  const github = await readFile(summary, "utf8");
  assert.equal(gitlab, github, "both runners get the same summary");
  assert.match(gitlab, /^### ❌ grayctl shop: rolled-back$/m);
  assert.match(gitlab, /wave 2 failed: target b/);
  assert.match(
    gitlab,
    new RegExp(
      `^\\| 1 \\| a \\| ✅ promoted \\| ↩️ rolled-back \\| revision 3 · \`${digest12("v3")}\` \\| [^|]+ \\|$`,
      "m",
    ),
  );
  assert.match(
    gitlab,
    new RegExp(`^\\| 2 \\| b \\| ❌ rolled-back \\| — \\| revision 3 · \`${digest12("v3")}\` \\| [^|]+ \\|$`, "m"),
  );
  assert.match(gitlab, /^#### b \(wave 2\): rolled-back$/m);
  assert.match(gitlab, /^\| 1\/2 \| 50% \| [^|]+ \| ❌ health: /m);
  assert.equal(count(gitlab, /^```mermaid$/), 2);
  assert.match(gitlab, /^ {2}bar \[50, 100\]$/m, "a's chart: both steps");
  assert.match(gitlab, /^ {2}bar \[50\]$/m, "b's chart: the step it failed at");
  noTokens(gitlab, run.stderr);
});
