import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWwwAuthenticate } from "../../src/build/www-authenticate.ts";

const table = [
  {
    header:
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull"',
    expected: {
      scheme: "bearer",
      params: {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        scope: "repository:library/x:pull",
      },
    },
  },
  {
    // scopes with several actions carry commas inside quotes
    header: 'Bearer realm="https://r.example/t", scope="repository:a/b:pull,push", error="insufficient_scope"',
    expected: {
      scheme: "bearer",
      params: { realm: "https://r.example/t", scope: "repository:a/b:pull,push", error: "insufficient_scope" },
    },
  },
  { header: 'Basic realm="grayctl-test"', expected: { scheme: "basic", params: { realm: "grayctl-test" } } },
  { header: "Basic realm=plain", expected: { scheme: "basic", params: { realm: "plain" } } },
  { header: 'Basic realm="say \\"hi\\""', expected: { scheme: "basic", params: { realm: 'say "hi"' } } },
  { header: "", expected: undefined },
  { header: null, expected: undefined },
];

for (const row of table) {
  test(`parseWwwAuthenticate(${JSON.stringify(row.header)})`, () => {
    assert.deepEqual(parseWwwAuthenticate(row.header), row.expected);
  });
}
