// The encodings a registered secret is masked in (src/output/redact.ts): a
// secret travels base64-encoded (inside basic auth, at any byte offset),
// URL-encoded and JSON-escaped as often as it travels as written.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Redactor } from "../../src/output/redact.ts";

const SECRET = 'tok/en+"s3cr3t"&more';

test("a registered secret is masked as written, URL-encoded and JSON-escaped", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  assert.equal(redactor.text(`a ${SECRET} b`), "a *** b");
  assert.equal(redactor.text(`?key=${encodeURIComponent(SECRET)}&x=1`), "?key=***&x=1");
  assert.equal(redactor.text(JSON.stringify({ value: SECRET })), '{"value":"***"}');
});

test("its base64 is masked alone and at every byte offset inside a longer encoded value", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  for (const prefix of ["", "u:", "us:", "use:"]) {
    for (const suffix of ["", "!", "!!"]) {
      const encoded = Buffer.from(`${prefix}${SECRET}${suffix}`).toString("base64");
      const masked = redactor.text(`Authorization: Basic ${encoded}`);
      assert.ok(masked.includes("***"), `${prefix}…${suffix}: ${masked}`);
      // What is left of the encoded value is too short to decode to any part of the secret.
      const left = masked.replace("Authorization: Basic ", "").split("***").join("");
      assert.ok(left.length <= 12, `${prefix}…${suffix}: ${masked}`);
      assert.ok(!Buffer.from(left, "base64").toString("latin1").includes("s3cr3t"));
    }
  }
  const url = Buffer.from(SECRET).toString("base64url");
  assert.equal(redactor.text(url), "***");
});

test("short values are not secrets worth masking", () => {
  const redactor = new Redactor();
  redactor.add("abc");
  assert.equal(redactor.text("abc abcd"), "abc abcd");
});

test("value() masks inside plain objects and arrays and keeps other objects as they are", () => {
  const redactor = new Redactor();
  redactor.add(SECRET);
  const at = new Date("2026-01-02T03:04:05Z");
  const out = redactor.value({ reason: `x ${SECRET}`, list: [SECRET], at });
  assert.deepEqual(out, { reason: "x ***", list: ["***"], at });
  assert.ok(out.at instanceof Date);
});
