import assert from "node:assert/strict";
import { test } from "node:test";
import { binomialUpperTail, fisherUpperTail, logGamma } from "../../src/analysis/stats.ts";

// Reference values computed exactly with Python's math.comb (rational sums).
const close = (actual: number, expected: number, relative = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${actual} ≉ ${expected}`);

test("logGamma matches factorials", () => {
  assert.ok(Math.abs(logGamma(1)) < 1e-12);
  close(logGamma(11), Math.log(3628800));
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)));
});

test("binomial upper tail is exact at small and moderate n", () => {
  close(binomialUpperTail(10, 300, 0.01), 0.0010230948508502564, 1e-8);
  close(binomialUpperTail(3, 10, 0.5), 0.9453125);
  close(binomialUpperTail(1, 5, 0.2), 0.67232);
  assert.equal(binomialUpperTail(0, 5, 0.2), 1);
  assert.equal(binomialUpperTail(6, 5, 0.2), 0);
  assert.equal(binomialUpperTail(2, 5, 0), 0);
});

test("binomial tail stays finite at a million requests", () => {
  const p = binomialUpperTail(10_500, 1_000_000, 0.01);
  assert.ok(p > 0 && p < 1e-6, `p=${p}`);
});

test("Fisher one-sided tail matches the hypergeometric sum", () => {
  close(fisherUpperTail(24, 500, 95, 9500), 3.5297453066101565e-9, 1e-7);
  close(fisherUpperTail(3, 300, 57, 5700), 0.5836618656899568, 1e-8);
  close(fisherUpperTail(15, 300, 57, 5700), 1.8679280746196293e-6, 1e-7);
  close(fisherUpperTail(1, 10, 9, 90), 0.6695237889132748, 1e-8);
  assert.equal(fisherUpperTail(0, 300, 57, 5700), 1);
});
