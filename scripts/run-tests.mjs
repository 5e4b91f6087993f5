// Runs the node:test suites under the given folders with the Node that npm put
// on PATH (the pinned node@24 devDependency), after building dist/ for the tests
// that spawn bin/grayctl.js. Prints the Node version so CI logs show which one ran.
import { spawnSync } from "node:child_process";

const folders = process.argv.slice(2);
console.log(`grayctl tests on Node ${process.version} (${process.execPath})`);
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error("grayctl needs Node >= 22; run the tests through `npm test`, which uses the pinned node@24.");
  process.exit(2);
}
const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const patterns = folders.map((folder) => `${folder}/**/*.test.ts`);
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-timeout=300000", ...patterns], {
  stdio: "inherit",
  env: { ...process.env, GRAYCTL_TEST: "1" },
});
process.exit(result.status ?? 1);
