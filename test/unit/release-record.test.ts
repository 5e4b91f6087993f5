// issue 22: when a release continues the stored one, and what its record keeps.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  beginRelease,
  decodeRecord,
  encodeRecord,
  RecordUnreadableError,
  type ReleaseRecord,
} from "../../src/waves/record.ts";

const request = (image = "shop@sha256:1", waves = [["a"], ["b", "c"]]) => ({
  app: "shop",
  image,
  waves,
  onWaveFailure: "rollback" as const,
  actor: "ci",
  now: "2026-12-07T05:00:00.000Z",
  id: "new",
});

const cutShort = (targets: ReleaseRecord["targets"], wave = 2): ReleaseRecord => ({
  ...beginRelease(undefined, { ...request(), id: "old" }).record,
  wave,
  targets,
});

test("a first release starts at wave 1 with every target in its wave", () => {
  const { record, continues, abandoned } = beginRelease(undefined, request());
  assert.equal(record.status, "running");
  assert.equal(record.wave, 1);
  assert.deepEqual(record.targets, { a: { wave: 1 }, b: { wave: 2 }, c: { wave: 2 } });
  assert.deepEqual([continues, abandoned, record.previous], [undefined, undefined, []]);
});

test("the same image through the same waves, cut short in wave 2, continues from wave 2", () => {
  const stored = cutShort({ a: { wave: 1, rollout: "promoted" }, b: { wave: 2, rollout: "promoted" }, c: { wave: 2 } });
  const { record, continues } = beginRelease(stored, request());
  assert.deepEqual(continues, { fromWave: 2, reached: ["a"] });
  assert.equal(record.id, "old", "the same release");
  // Wave 2 is run again whole: b's rollout finds nothing to do, c's continues.
  assert.deepEqual(record.targets, { a: { wave: 1, rollout: "promoted" }, b: { wave: 2 }, c: { wave: 2 } });
});

test("an earlier wave whose target did not reach the image is run again", () => {
  const stored = cutShort({ a: { wave: 1 }, b: { wave: 2 }, c: { wave: 2 } });
  assert.deepEqual(beginRelease(stored, request()).continues, { fromWave: 1, reached: [] });
});

test("another image, or other waves, start a new release and name the one cut short", () => {
  const stored = cutShort({ a: { wave: 1, rollout: "promoted" }, b: { wave: 2 }, c: { wave: 2 } });
  for (const next of [request("shop@sha256:2"), request(undefined, [["a", "b", "c"]])]) {
    const { record, continues, abandoned } = beginRelease(stored, next);
    assert.equal(continues, undefined);
    assert.equal(abandoned?.id, "old");
    assert.equal(record.id, "new");
    assert.equal(record.wave, 1);
    assert.equal(record.previous[0].id, "old");
  }
});

test("a release that ended is never continued, and at most 20 earlier ones are kept", () => {
  let stored: ReleaseRecord | undefined;
  for (let index = 0; index < 25; index++) {
    const next = beginRelease(stored, { ...request(), id: `r${index}` }).record;
    stored = { ...next, status: "promoted" };
  }
  const { record, continues } = beginRelease(stored, request());
  assert.equal(continues, undefined);
  assert.equal(record.previous.length, 20);
  assert.equal(record.previous[0].id, "r24");
});

test("a record that cannot be read is refused, naming where and what", () => {
  assert.throws(() => decodeRecord("{x", "ConfigMap ns/shop-grayctl-release"), RecordUnreadableError);
  const good = beginRelease(undefined, request()).record;
  assert.deepEqual(decodeRecord(encodeRecord(good), "here"), JSON.parse(JSON.stringify(good)));
  assert.throws(
    () => decodeRecord(JSON.stringify({ ...good, wave: 0 }), "ConfigMap ns/shop-grayctl-release"),
    /ConfigMap ns\/shop-grayctl-release: its release record is not readable at wave: /,
  );
  assert.equal(decodeRecord(undefined, "here"), undefined);
});
