// Runs the node:test suites under the given folders with the Node that npm put
// on PATH (the pinned node@24 devDependency), after building dist/ for the tests
// that spawn bin/grayctl.js. Prints the Node version so CI logs show which one ran.
import { spawnSync } from "node:child_process";
import { globSync } from "node:fs";
import { SANDBOX_TOO, SHARED_SUITES } from "./cluster-suites.mjs";
import { runWithDeadline } from "./run-with-deadline.mjs";

// --deadline N (minutes): past it the run is stopped and fails (default 40).
const args = process.argv.slice(2);
const deadlineAt = args.indexOf("--deadline");
const deadlineMinutes = deadlineAt >= 0 ? Number(args.splice(deadlineAt, 2)[1]) : 40;
// --skip-cluster-shared: leave out the suites test:cluster runs on the real control plane (CI).
const skipShared = args.includes("--skip-cluster-shared");
const folders = args.filter((arg) => arg !== "--skip-cluster-shared");
console.log(`grayctl tests on Node ${process.version} (${process.execPath})`);
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error("grayctl needs Node >= 22; run the tests through `npm test`, which uses the pinned node@24.");
  process.exit(2);
}
const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const files = folders.flatMap((folder) => globSync(`${folder}/**/*.test.ts`)).sort();
const skipped = skipShared ? files.filter((file) => SHARED_SUITES.includes(file) && !SANDBOX_TOO.has(file)) : [];
if (skipped.length > 0)
  console.log(`left to test:cluster, which runs them on the real control plane: ${skipped.length} suites`);
const patterns = files.filter((file) => !skipped.includes(file));
process.exitCode = await runWithDeadline(
  `tests in ${folders.join(", ")}`,
  ["--test", "--test-concurrency=2", "--test-timeout=300000", ...patterns],
  { env: { ...process.env, GRAYCTL_TEST: "1" }, deadlineMinutes },
);
