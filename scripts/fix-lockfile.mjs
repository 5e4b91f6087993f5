// The npm registry mirror these machines use lacks some platform builds of
// @biomejs/biome (darwin, win32, musl…), so npm cannot record them in
// package-lock.json, and `npm ci` then refuses the lock as out of sync. This
// drops optional dependencies that have no entry in the lock. Run it after
// every `npm install` that rewrites the lock (see docs/decisions/005).
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
let removed = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  if (!entry.optionalDependencies) continue;
  for (const name of Object.keys(entry.optionalDependencies)) {
    const nested = `${key}/node_modules/${name}`;
    if (!lock.packages[`node_modules/${name}`] && !lock.packages[nested]) {
      delete entry.optionalDependencies[name];
      removed++;
    }
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: dropped ${removed} optional dependencies the registry cannot provide`);
