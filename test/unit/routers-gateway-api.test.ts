// The HTTPRoute rules grayctl owns, as pure functions: created, adopted,
// re-applied (no change), proportional weights read back, refused shapes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/errors.ts";
import { canaryWeightOf, initialRules, type RouteRule, withCanaryWeight } from "../../src/routers/gateway-api-rules.ts";
import { sameSpec, type Split } from "../../src/routers/route-object.ts";

const SECRET = "0123456789abcdef-pin";
// With traffic.pin and its secret at hand; `open` is the default: no pinning at all.
const split: Split = {
  namespace: "shop",
  pin: { header: "x-canary", value: SECRET },
  stable: "web-stable",
  canary: "web-canary",
};
const open: Split = { namespace: "shop", stable: "web-stable", canary: "web-canary" };
const prefix = (value: string) => ({ path: { type: "PathPrefix", value } });
const weightsOf = (rules: RouteRule[]) => rules.at(-1)!.backendRefs!.map((b) => [b.name, b.weight]);

test("created with traffic.pin: the secret's rule (with the weighted rule's path) first, then stable 100 / canary 0", () => {
  const rules = initialRules(split, "/api");
  assert.deepEqual(rules.slice(0, 1), [
    {
      matches: [{ ...prefix("/api"), headers: [{ type: "Exact", name: "x-canary", value: SECRET }] }],
      backendRefs: [{ name: "web-canary", port: 80, weight: 1 }],
    },
  ]);
  assert.deepEqual(rules[1].matches, [prefix("/api")]);
  assert.deepEqual(weightsOf(rules), [
    ["web-stable", 100],
    ["web-canary", 0],
  ]);
});

test("created without traffic.pin: the weighted rule alone, no header reaches the canary", () => {
  const rules = withCanaryWeight(initialRules(open, "/"), open, 10);
  assert.equal(rules.length, 1);
  assert.doesNotMatch(JSON.stringify(rules), /headers|always/);
});

test("open pins of older versions (x-canary: always/never) are removed on every write, with or without traffic.pin", () => {
  const openPin = (value: string, name: string): RouteRule => ({
    matches: [{ ...prefix("/"), headers: [{ type: "Exact", name: "x-canary", value }] }],
    backendRefs: [{ name, port: 80, weight: 1 }],
  });
  const weighted: RouteRule = {
    matches: [prefix("/")],
    backendRefs: [
      { name: "web-stable", port: 80, weight: 90 },
      { name: "web-canary", port: 80, weight: 10 },
    ],
  };
  const old = [openPin("always", "web-canary"), openPin("never", "web-stable"), weighted];
  assert.deepEqual(withCanaryWeight(old, open, 10), [weighted]);
  const pinned = withCanaryWeight(old, split, 10);
  assert.equal(pinned.length, 2);
  assert.equal(pinned[0].matches?.[0].headers?.[0].value, SECRET);
  // Without the secret at hand (a rollback from a laptop): the secret's rule stays, open ones still go.
  const kept = withCanaryWeight([...old.slice(0, 2), ...pinned], { ...split, pin: { header: "x-canary" } }, 0);
  assert.equal(kept.length, 2);
  assert.equal(kept[0].matches?.[0].headers?.[0].value, SECRET);
});

test("weights are percentages at every step; re-applying a weight changes nothing", () => {
  let rules = initialRules(split, "/");
  for (const weight of [5, 25, 50, 100, 0]) {
    rules = withCanaryWeight(rules, split, weight);
    assert.deepEqual(weightsOf(rules), [
      ["web-stable", 100 - weight],
      ["web-canary", weight],
    ]);
    assert.equal(canaryWeightOf(rules, split), weight);
    assert.ok(sameSpec(withCanaryWeight(rules, split, weight), rules), `idempotent at ${weight}`);
    assert.equal(rules.length, 2, "the pin rule is never duplicated");
  }
});

test("weights are read as proportions, a missing weight counting 1", () => {
  const backends = (stable?: number, canary?: number): RouteRule[] => [
    {
      backendRefs: [
        { name: "web-stable", weight: stable },
        { name: "web-canary", weight: canary },
      ],
    },
  ];
  assert.equal(canaryWeightOf(backends(3, 1), split), 25);
  assert.equal(canaryWeightOf(backends(undefined, undefined), split), 50);
  assert.equal(canaryWeightOf(backends(0, 0), split), 0);
  assert.equal(canaryWeightOf([{ backendRefs: [{ name: "web-stable" }] }], split), 0);
});

test("adopted: the team's rules and fields stay; the canary backendRef is modelled on stable's, at weight 0", () => {
  const admin: RouteRule = { matches: [prefix("/admin")], backendRefs: [{ name: "admin", port: 8080 }] };
  const main: RouteRule = {
    matches: [prefix("/")],
    filters: [{ type: "RequestHeaderModifier" }],
    backendRefs: [{ name: "web-stable", port: 8080 }],
  };
  const adopted = withCanaryWeight([admin, main], split);
  assert.deepEqual(adopted[0], admin);
  assert.equal(adopted.length, 3);
  assert.deepEqual(adopted[2], {
    ...main,
    backendRefs: [
      { name: "web-stable", port: 8080, weight: 1 },
      { name: "web-canary", port: 8080, weight: 0 },
    ],
  });
  assert.deepEqual(adopted[1].backendRefs, [{ name: "web-canary", port: 8080, weight: 1 }]);
  assert.equal(canaryWeightOf(adopted, split), 0, "adopted with all traffic on stable (weight 1 of 1)");
});

test("without a weight, the weights the rules have now are kept as written (a re-run of prepare mid-rollout)", () => {
  const rules = withCanaryWeight(initialRules(split, "/"), split, 25);
  assert.ok(sameSpec(withCanaryWeight(rules, split), rules));
  const proportional: RouteRule[] = [
    {
      backendRefs: [
        { name: "web-stable", weight: 2 },
        { name: "web-canary", weight: 1 },
      ],
    },
  ];
  assert.deepEqual(weightsOf(withCanaryWeight(proportional, split)), [
    ["web-stable", 2],
    ["web-canary", 1],
  ]);
});

test("adopted shapes grayctl cannot split are refused with what to do (exit 2); reading them is not", () => {
  const cases: [string, RouteRule[], RegExp][] = [
    ["no rule to stable", [{ backendRefs: [{ name: "web" }] }], /no rule of the HTTPRoute sends traffic to web-stable/],
    ["stable in another namespace", [{ backendRefs: [{ name: "web-stable", namespace: "other" }] }], /no rule/],
    ["not a Service", [{ backendRefs: [{ name: "web-stable", kind: "ServiceImport" }] }], /no rule/],
    [
      "a shared rule",
      [
        {
          backendRefs: [
            { name: "web-stable", weight: 80 },
            { name: "legacy", weight: 20 },
          ],
        },
      ],
      /also sends traffic to legacy/,
    ],
  ];
  assert.equal(
    canaryWeightOf([{ backendRefs: [{ name: "web" }] }], split),
    0,
    "reading never refuses: no rule to the tracks is 0 %",
  );
  for (const [name, rules, message] of cases) {
    assert.throws(
      () => withCanaryWeight(rules, split, 10),
      (error) => error instanceof UsageError && error.exitCode === 2 && message.test(error.message),
      name,
    );
  }
});
