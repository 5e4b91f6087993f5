import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesLabelSelector, matchesSelectorString } from "../../sandbox/labels.ts";

const labels = { app: "checkout", track: "canary" };

test("label selector strings match as in Kubernetes", () => {
  const cases: [string, boolean][] = [
    ["", true],
    ["app=checkout", true],
    ["app==checkout,track=canary", true],
    ["app=other", false],
    ["track!=stable", true],
    ["track in (stable,canary)", true],
    ["track notin (canary)", false],
    ["app", true],
    ["!missing", true],
    ["!app", false],
  ];
  for (const [selector, expected] of cases) assert.equal(matchesSelectorString(labels, selector), expected, selector);
});

test("structured selectors honour matchExpressions", () => {
  assert.equal(matchesLabelSelector(labels, { matchLabels: { app: "checkout" } }), true);
  assert.equal(
    matchesLabelSelector(labels, { matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }] }),
    false,
  );
});
