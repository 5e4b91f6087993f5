import assert from "node:assert/strict";
import { test } from "node:test";
import { configFromTag, demoAppConfig, versionOfImage } from "../../sandbox/demo-app/config.ts";

const digest = `sha256:${"ab12".repeat(16)}`;

test("the version is the image tag, or the digest prefix when pinned by digest only", () => {
  const cases: [string, string][] = [
    ["sandbox.local/demo-app:v2", "v2"],
    [`sandbox.local/demo-app:v2@${digest}`, "v2"],
    [`sandbox.local/demo-app@${digest}`, "ab12ab12ab12"],
    ["localhost:5000/demo-app:v3-err20", "v3-err20"],
    ["localhost:5000/demo-app", "latest"],
  ];
  for (const [image, version] of cases) assert.equal(versionOfImage(image), version, image);
});

test("fault suffixes combine", () => {
  assert.deepEqual(configFromTag("v4-err5-slow100"), {
    version: "v4-err5-slow100",
    errorRate: 0.05,
    latencyMs: 100,
    unhealthy: false,
  });
  assert.equal(configFromTag("v3-unhealthy").unhealthy, true);
  assert.equal(configFromTag("v3-crash5").crashAfterS, 5);
  assert.equal(configFromTag("v3-err50-after6").faultsAfterS, 6);
  assert.deepEqual(configFromTag("v1"), { version: "v1", errorRate: 0, latencyMs: 0, unhealthy: false });
});

test("env overrides the tag", () => {
  const config = demoAppConfig({
    IMAGE: "sandbox.local/demo-app:v3-err20-slow800",
    ERROR_RATE: "0",
    LATENCY_MS: "5",
    HEALTHZ_FAIL: "1",
  });
  assert.deepEqual(config, { version: "v3-err20-slow800", errorRate: 0, latencyMs: 5, unhealthy: true });
  assert.equal(demoAppConfig({ VERSION: "v9" }).version, "v9");
  assert.throws(() => demoAppConfig({ ERROR_RATE: "2" }), /between 0 and 1/);
  assert.throws(() => demoAppConfig({ LATENCY_MS: "soon" }), /LATENCY_MS/);
});

test("label.NAME counts requests by that label, as podinfo counts by status; STATUS_LABEL overrides", () => {
  assert.equal(configFromTag("v2-err20-label.status").statusLabel, "status");
  assert.equal(configFromTag("v2-err20-label.status").errorRate, 0.2);
  assert.equal(configFromTag("v2").statusLabel, undefined, "code by default");
  assert.equal(demoAppConfig({ VERSION: "v1-label.status", STATUS_LABEL: "http_status" }).statusLabel, "http_status");
  assert.throws(() => demoAppConfig({ STATUS_LABEL: "a-b" }), /STATUS_LABEL/);
});
