import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ResolvedRevision } from "../../src/build/revision.ts";
import { tagFor } from "../../src/build/tag-policy.ts";

const commit = "0123456789abcdef0123456789abcdef01234567";
const tree = "fedcba9876543210fedcba9876543210fedcba98";
const clean: ResolvedRevision = { commit, abbrev: "0123456", tree, dirty: false, changedPaths: [], source: "git" };
const dirty: ResolvedRevision = {
  ...clean,
  dirty: true,
  changedPaths: ["svc/a.ts", "svc/b.ts", "c", "d", "e", "f", "g"],
};

describe("tagFor", () => {
  const table = [
    { policy: "commit", dirtyPolicy: "refuse", revision: clean, tag: commit },
    { policy: "abbrev-commit", dirtyPolicy: "refuse", revision: clean, tag: "0123456" },
    { policy: "tree", dirtyPolicy: "refuse", revision: clean, tag: tree },
    { policy: "commit", dirtyPolicy: "suffix", revision: dirty, tag: `${commit}-dirty` },
    { policy: "abbrev-commit", dirtyPolicy: "suffix", revision: dirty, tag: "0123456-dirty" },
    { policy: "tree", dirtyPolicy: "suffix", revision: dirty, tag: `${tree}-dirty` },
  ] as const;
  for (const row of table) {
    test(`${row.policy}, dirty=${row.revision.dirty}, ${row.dirtyPolicy} → ${row.tag}`, () => {
      assert.equal(tagFor(row.revision, { tag: row.policy, dirty: row.dirtyPolicy, context: "/repo/svc" }), row.tag);
    });
  }

  test("refuse lists a few changed paths, how many more, and both ways out", () => {
    assert.throws(
      () => tagFor(dirty, { tag: "commit", dirty: "refuse", context: "/repo/svc" }),
      (error: Error & { exitCode: number; hint: string }) => {
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /uncommitted changes in \/repo\/svc/);
        assert.match(error.message, /svc\/a\.ts/);
        assert.match(error.message, /and 2 more/);
        assert.doesNotMatch(error.message, /\n {2}g$/m);
        assert.match(error.hint, /Commit or stash/);
        assert.match(error.hint, /image\.dirty: suffix/);
        return true;
      },
    );
  });

  test("tree policy without a tree sha is a user error", () => {
    assert.throws(() => tagFor({ ...clean, tree: undefined }, { tag: "tree", dirty: "refuse", context: "/x" }), /tree/);
  });
});
