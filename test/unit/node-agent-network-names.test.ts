// Two node agents on one machine (two control planes, each on its own bridge:
// test/cluster/waves-two-clusters.test.ts): an agent's leftover sweep at start
// must take only its own bridge's pod namespaces, never the other's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isPodNamespaceOf, podNames } from "../../sandbox/node-agent/network.ts";

const UID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

test("a pod's names carry its bridge and the first 12 hex of its UID; the veth fits in 15 characters", () => {
  assert.deepEqual(podNames("grayctl-wb", UID), { netns: "grayctl-wb-0f1e2d3c4b5a", hostVeth: "gc0f1e2d3c4b5a" });
  assert.ok(podNames("grayctl-wb", UID).hostVeth.length <= 15);
});

test("a bridge owns its own pods' namespaces only, not those of a bridge whose name it prefixes", () => {
  const table: [bridge: string, netns: string, owned: boolean][] = [
    ["grayctl-test", podNames("grayctl-test", UID).netns, true],
    ["grayctl0", podNames("grayctl0", UID).netns, true],
    // `grayctl-` is a prefix of the other cluster's `grayctl-test-…` and `grayctl-wb-…`.
    ["grayctl", podNames("grayctl-test", UID).netns, false],
    ["grayctl", podNames("grayctl-wb", UID).netns, false],
    ["grayctl-w", podNames("grayctl-wb", UID).netns, false],
    ["grayctl0", "grayctl0-notapodname", false],
    ["grayctl0", "grayctl0-0f1e2d3c4b5a-extra", false],
    ["grayctl0", "other-0f1e2d3c4b5a", false],
  ];
  for (const [bridge, netns, owned] of table)
    assert.equal(isPodNamespaceOf(bridge, netns), owned, `${bridge} owns ${netns}: ${!owned}`);
});
