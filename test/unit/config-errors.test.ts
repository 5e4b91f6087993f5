import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";
import { BROKEN_CONFIGS } from "../fixtures/broken-configs.ts";

const options = (sets?: string[], env: Record<string, string> = {}, namespace?: string) => ({
  cwd: "/repo",
  env,
  file: "/repo/grayctl.yaml",
  sets,
  namespace,
});

test(`the broken-config table has at least 25 entries (${BROKEN_CONFIGS.length})`, () => {
  assert.ok(BROKEN_CONFIGS.length >= 25);
});

for (const broken of BROKEN_CONFIGS) {
  test(`broken config: ${broken.name}`, () => {
    assert.throws(
      () => parseConfig(broken.yaml, options(broken.sets, broken.env, broken.namespace)),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
        assert.equal(error.exitCode, 2);
        const match = error.issues.find((issue) => issue.path === broken.path && issue.message.includes(broken.says));
        assert.ok(match, `no issue at ${broken.path} saying "${broken.says}" in:\n${error.message}`);
        assert.ok(
          match.location?.startsWith(broken.location),
          `location ${match.location} does not start with ${broken.location}`,
        );
        return true;
      },
    );
  });
}

test("a minimal config gets the documented defaults", () => {
  const { config } = parseConfig("app: checkout\n", options());
  assert.equal(config.namespace, "default");
  assert.equal(config.traffic.router, "replicas");
  assert.deepEqual(config.rollout.steps, [5, 10, 25, 50, 100]);
  assert.equal(config.rollout.onInterrupt, "rollback");
  assert.equal(config.analysis.healthz.path, "/healthz");
});

test("${ENV} interpolation, defaults and --set overrides apply before validation", () => {
  const yaml = "app: checkout\nimage:\n  repository: ${REGISTRY:-localhost:5000}/shop/${APP}\n";
  const { config } = parseConfig(
    yaml,
    options(["rollout.steps=[10,100]", "deployment.replicas=3"], { APP: "checkout" }),
  );
  assert.equal(config.image?.repository, "localhost:5000/shop/checkout");
  assert.deepEqual(config.rollout.steps, [10, 100]);
  assert.equal(config.deployment.replicas, 3);
});

test("secrets in the configuration are returned for redaction", () => {
  const yaml =
    "app: checkout\nanalysis:\n  metrics:\n    prometheus: { url: 'http://p:9090', bearerToken: '${TOKEN}' }\n";
  const { secrets } = parseConfig(yaml, options([], { TOKEN: "s3cr3t-token" }));
  assert.deepEqual(secrets, ["s3cr3t-token"]);
});

test("--set and the file cannot reach Object.prototype", () => {
  for (const [yaml, sets] of [
    ["app: checkout\n", ["__proto__.polluted=yes"]],
    ["app: checkout\n", ["rollout.__proto__.polluted=yes"]],
    ["app: checkout\n__proto__:\n  polluted: yes\n", []],
  ] as const) {
    assert.throws(() => parseConfig(yaml, options([...sets])), ConfigError);
    assert.equal(
      ({} as Record<string, unknown>).polluted,
      undefined,
      `${yaml} ${sets.join(" ")} polluted Object.prototype`,
    );
  }
});

test("the bounds accept what they name: 1h interval, 24h pause, a 2048 in a namespace, a registry with a port", () => {
  const yaml = `app: checkout
namespace: 2048-team
image:
  repository: localhost:5000/shop/check_out-api
rollout:
  interval: 1h
  steps:
    - { weight: 50, pause: 24h }
`;
  const { config } = parseConfig(yaml, options());
  assert.equal(config.rollout.interval, "1h");
  assert.equal(config.namespace, "2048-team");
});

test("analysis.metrics.statusLabel and prometheus.labels (docs/analysis.md) are accepted and reach the gates' settings", async () => {
  const { metricsSettings } = await import("../../src/cli/shared/metric-gates.ts");
  const yaml = `app: checkout
analysis:
  metrics:
    statusLabel: http_response_status_code
    prometheus:
      url: http://prometheus:9090
      labels: { app: service_name, namespace: k8s_namespace_name }
`;
  const settings = metricsSettings(parseConfig(yaml, options()).config);
  assert.equal(settings?.statusLabel, "http_response_status_code");
  assert.deepEqual(settings?.prometheus?.labels, { app: "service_name", namespace: "k8s_namespace_name" });
  assert.equal(
    metricsSettings(parseConfig("app: checkout\nanalysis:\n  metrics: { provider: pods }\n", options()).config)
      ?.statusLabel,
    undefined,
  );
});
