// issue 22, configuration: targets and waves are checked across fields, each
// problem naming its field; a target's configuration is the top-level one with
// its `set:` overrides, validated like --set. Without targets nothing changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";

const options = { cwd: "/repo", env: {}, file: "/repo/grayctl.yaml" };

const TARGETS = `app: shop
namespace: shop
deployment: { replicas: 2 }
targets:
  - { name: staging, context: kind-staging }
  - name: eu-west
    context: eu
    namespace: shop-eu
    set: { deployment.replicas: 6, traffic.host: eu.shop.example }
  - { name: us-east, kubeconfig: /etc/us.yaml }
`;

const BROKEN: { name: string; yaml: string; path: string; says: string }[] = [
  {
    name: "recordIn names an unknown target",
    yaml: `${TARGETS}waves:\n  - targets: [staging]\n  - targets: [eu-west, us-east]\nrecordIn: eu-wset\n`,
    path: "recordIn",
    says: '"eu-wset" is not a target',
  },
  {
    name: "recordIn without targets",
    yaml: "app: shop\nrecordIn: staging\n",
    path: "recordIn",
    says: "names a target: it needs targets",
  },
  {
    name: "a wave names an unknown target",
    yaml: `${TARGETS}waves:\n  - targets: [staging, eu-wset]\n  - targets: [eu-west, us-east]\n`,
    path: "waves[0].targets[1]",
    says: '"eu-wset" is not a target',
  },
  {
    name: "a target in two waves",
    yaml: `${TARGETS}waves:\n  - targets: [staging, eu-west]\n  - targets: [eu-west, us-east]\n`,
    path: "waves[1].targets[0]",
    says: '"eu-west" is already in waves[0]',
  },
  {
    name: "two targets of one name",
    yaml: `${TARGETS}  - { name: staging, context: other }\nwaves:\n  - targets: [staging, eu-west, us-east]\n`,
    path: "targets[3].name",
    says: '"staging" is named twice',
  },
  {
    name: "an empty wave",
    yaml: `${TARGETS}waves:\n  - targets: [staging, eu-west, us-east]\n  - targets: []\n`,
    path: "waves[1].targets",
    says: "is empty",
  },
  {
    name: "a target in no wave",
    yaml: `${TARGETS}waves:\n  - targets: [staging, eu-west]\n`,
    path: "waves",
    says: 'target "us-east" is in no wave',
  },
  {
    name: "targets without waves",
    yaml: TARGETS,
    path: "waves",
    says: "is required when targets is set",
  },
  {
    name: "waves without targets",
    yaml: "app: shop\nwaves:\n  - targets: [a]\n",
    path: "targets",
    says: "is required when waves is set",
  },
  {
    name: "a target with neither context nor kubeconfig",
    yaml: "app: shop\ntargets:\n  - { name: a }\nwaves:\n  - targets: [a]\n",
    path: "targets[0].context",
    says: "is required (or kubeconfig)",
  },
  {
    name: "a target override that fails validation names the override",
    yaml: "app: shop\ntargets:\n  - { name: a, context: a, set: { deployment.replicas: 0 } }\nwaves:\n  - targets: [a]\n",
    path: "targets[0].set.deployment.replicas",
    says: "(in target a)",
  },
  {
    name: "a target override of the release's own fields",
    yaml: "app: shop\ntargets:\n  - { name: a, context: a, set: { app: other } }\nwaves:\n  - targets: [a]\n",
    path: "targets[0].set.app",
    says: "is the release's",
  },
  {
    name: "an unknown field in a wave",
    yaml: "app: shop\ntargets:\n  - { name: a, context: a }\nwaves:\n  - { targets: [a], bakeTime: 1m }\n",
    path: "waves[0].bakeTime",
    says: "unknown field",
  },
  {
    name: "a bad bake",
    yaml: "app: shop\ntargets:\n  - { name: a, context: a }\nwaves:\n  - { targets: [a], bake: soon }\n",
    path: "waves[0].bake",
    says: "must be a duration",
  },
  {
    name: "onWaveFailure is rollback or halt",
    yaml: "app: shop\ntargets:\n  - { name: a, context: a }\nwaves:\n  - { targets: [a] }\nonWaveFailure: ignore\n",
    path: "onWaveFailure",
    says: "rollback",
  },
];

for (const broken of BROKEN) {
  test(`targets and waves, broken: ${broken.name}`, () => {
    assert.throws(
      () => parseConfig(broken.yaml, options),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
        assert.equal(error.exitCode, 2);
        const match = error.issues.find(
          (issue) => issue.path.startsWith(broken.path) && issue.message.includes(broken.says),
        );
        assert.ok(match, `no issue at ${broken.path} saying "${broken.says}" in:\n${error.message}`);
        assert.match(match.location ?? "", /^grayctl\.yaml:\d+:\d+/);
        return true;
      },
    );
  });
}

test("each target's configuration is the top-level one with its own set: and namespace", () => {
  const yaml = `${TARGETS}waves:\n  - { targets: [staging], bake: 30s }\n  - { targets: [eu-west, us-east], maxParallel: 1 }\nonWaveFailure: halt\n`;
  const { config, targets } = parseConfig(yaml, options);
  assert.equal(config.onWaveFailure, "halt");
  assert.deepEqual(
    config.waves?.map((wave) => [wave.targets, wave.bake, wave.maxParallel]),
    [
      [["staging"], "30s", undefined],
      [["eu-west", "us-east"], "0s", 1],
    ],
  );
  assert.deepEqual(
    targets?.map((t) => [t.name, t.context, t.kubeconfig, t.config.namespace, t.config.deployment.replicas]),
    [
      ["staging", "kind-staging", undefined, "shop", 2],
      ["eu-west", "eu", undefined, "shop-eu", 6],
      ["us-east", undefined, "/etc/us.yaml", "shop", 2],
    ],
  );
  assert.equal(targets?.[1].config.traffic.host, "eu.shop.example");
  // A target's configuration is a single-cluster one: no targets of its own.
  assert.equal(targets?.[1].config.targets, undefined);
});

test("without targets the configuration is as before: no targets, onWaveFailure defaults to rollback", () => {
  const { config, targets } = parseConfig("app: shop\n", options);
  assert.equal(targets, undefined);
  assert.equal(config.targets, undefined);
  assert.equal(config.waves, undefined);
  assert.equal(config.onWaveFailure, "rollback");
});
