// `npm run demo --output json` as a user runs it: the real sandbox, pod
// processes, front door, load and the built grayctl. Both rollouts end as the
// demo promises, the last line says so, and nothing it started outlives it.
// The demo runs in a process group of its own (detached), so `ps` can tell its
// processes from those of suites running beside it: pods and grayctl inherit it.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { UNBUNDLED } from "../helpers/cli.ts";

const DEMO = fileURLToPath(new URL("../../scripts/demo.ts", import.meta.url));

/** PIDs and command lines of the processes in a process group, from ps. */
function groupMembers(pgid: number): string[] {
  const table = execFileSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return table
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group]) => Number(group) === pgid)
    .map(([pid, , ...args]) => `${pid} ${args.join(" ")}`);
}

test("the demo promotes v2, rolls back v3 by its error rate, and leaves no process behind", async () => {
  const child = spawn(process.execPath, [DEMO, "--output", "json"], {
    detached: true,
    env: { ...process.env, ...UNBUNDLED, CI: undefined, GITHUB_ACTIONS: undefined },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pgid = child.pid!;
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  // Sample the group while the demo runs: it must have had pods and grayctl in it
  // for "nothing left afterwards" to mean anything.
  let mostSeen: string[] = [];
  const sampler = setInterval(() => {
    const members = groupMembers(pgid);
    if (members.length > mostSeen.length) mostSeen = members;
  }, 500);
  const deadline = setTimeout(() => process.kill(-pgid, "SIGKILL"), 240_000);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearInterval(sampler);
  clearTimeout(deadline);

  assert.ok(
    mostSeen.filter((line) => line.includes("demo-app/server.ts")).length >= 2,
    `pods ran in the demo's group: ${mostSeen.join("\n")}`,
  );
  assert.ok(
    mostSeen.some((line) => line.includes("grayctl.js")),
    `grayctl ran in the demo's group`,
  );
  assert.deepEqual(groupMembers(pgid), [], "no process of the demo is left");

  assert.equal(code, 0, stderr + stdout);
  const lines = stdout.trim().split("\n");
  const events = lines.map((line) => JSON.parse(line));
  const result = events.at(-1);
  assert.equal(result.type, "demo-result");
  assert.equal(result.ok, true);
  const byVersion = Object.fromEntries(result.rollouts.map((r: { version: string }) => [r.version, r]));
  assert.equal(byVersion.v2.outcome, "promoted");
  assert.equal(byVersion.v2.exitCode, 0);
  assert.equal(byVersion.v3.outcome, "rolled-back");
  assert.equal(byVersion.v3.exitCode, 3);
  assert.match(byVersion.v3.reason, /^error-rate: canary /);
  assert.ok(byVersion.v3.users.versions["v3-err20"] > 0, "v3 met users before it was rolled back");
  assert.equal(byVersion.v2.users.appErrors + byVersion.v2.users.routingErrors + byVersion.v2.users.failed, 0);
  // grayctl's own events came through live, before the result.
  assert.ok(events.some((e) => e.type === "step" && e.weight === 50));
});
