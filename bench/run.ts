// Runs every benchmark in bench/ one after the other. Benchmarks print figures
// and assert nothing about wall time.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const dir = new URL(".", import.meta.url).pathname;
const only = process.argv[2];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .sort()) {
  if (only && !file.includes(only)) continue;
  console.log(`\n## bench/${file}`);
  const run = spawnSync(process.execPath, [`${dir}${file}`], { stdio: "inherit" });
  if (run.status !== 0) process.exitCode = run.status ?? 1;
}
