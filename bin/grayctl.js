#!/usr/bin/env node
// The entry point: checks the running Node before anything else is loaded,
// then hands over to the launcher (launch.js). Written in syntax that old Node
// parses (no top-level await, no `?.`, no `??`), so that an old Node reaches
// this check instead of failing somewhere inside the Kubernetes client: its
// HTTP client (undici) needs zlib's zstd and more of Node 22.19 (decision 027).
const NEEDED = "22.19.0";

function olderThan(found, needed) {
  const a = found.split(".");
  const b = needed.split(".");
  for (let i = 0; i < 3; i++) {
    const x = Number(a[i]) || 0;
    const y = Number(b[i]) || 0;
    if (x !== y) return x < y;
  }
  return false;
}

const found = process.versions.node;
if (olderThan(found, NEEDED)) {
  process.stderr.write(
    "grayctl: this is Node.js " +
      found +
      " (" +
      process.execPath +
      "); grayctl needs Node.js " +
      NEEDED +
      " or newer.\n" +
      "Install a newer Node.js (e.g. 24 LTS), or use grayctl's single binary, which carries its own Node:\n" +
      "dist/bin/grayctl-linux-x64, built from a clone with `npm run build:binary`.\n",
  );
  process.exitCode = 2;
} else {
  import("./launch.js");
}
