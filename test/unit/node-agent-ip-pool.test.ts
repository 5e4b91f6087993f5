import assert from "node:assert/strict";
import { test } from "node:test";
import { IpPool } from "../../sandbox/node-agent/ip-pool.ts";

test("pod addresses are handed out in turn: a freed address is not reused at once (stale neighbour entries)", () => {
  const pool = new IpPool("10.244.77.0/29"); // .2 … .6 for pods
  const first = pool.allocate();
  assert.equal(first, "10.244.77.2");
  pool.release(first);
  assert.equal(pool.allocate(), "10.244.77.3");
  assert.deepEqual([pool.allocate(), pool.allocate(), pool.allocate()], ["10.244.77.4", "10.244.77.5", "10.244.77.6"]);
  // Wrapped around: the freed .2 comes back only now.
  assert.equal(pool.allocate(), "10.244.77.2");
  assert.throws(() => pool.allocate(), /no free pod address/);
});

test("a pod keeps its preferred address when it is free", () => {
  const pool = new IpPool("10.244.77.0/24");
  assert.equal(pool.allocate("10.244.77.40"), "10.244.77.40");
  assert.equal(pool.allocate("10.244.77.40"), "10.244.77.2");
});
