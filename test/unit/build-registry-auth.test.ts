// The registry check's Bearer-token flow. The real docker-registry's token auth
// needs a separate token server with signing certificates that Debian does not
// package, so this local HTTP server stands in for registry + token service; it
// speaks the distribution token protocol (401 challenge → GET realm → retry).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { parseRepository } from "../../src/build/image-ref.ts";
import { checkManifest } from "../../src/build/registry.ts";
import { RecordingReporter } from "../helpers/recording-reporter.ts";

const digest = `sha256:${"ab".repeat(32)}`;
let server: Server;
let host: string;
const seen: Array<{ url: string; authorization?: string; accept?: string }> = [];

before(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url ?? "", authorization: request.headers.authorization, accept: request.headers.accept });
    const url = new URL(request.url ?? "/", `http://${host}`);
    if (url.pathname === "/token") {
      const expected = `Basic ${Buffer.from("u:p").toString("base64")}`;
      if (request.headers.authorization !== expected) return response.writeHead(401).end();
      return response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ token: `t-${url.searchParams.get("scope")}` }));
    }
    if (request.headers.authorization !== "Bearer t-repository:shop/app:pull") {
      return response
        .writeHead(401, {
          "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="repository:shop/app:pull"`,
        })
        .end();
    }
    if (url.pathname === "/v2/shop/app/manifests/present")
      return response.writeHead(200, { "docker-content-digest": digest }).end();
    return response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function check(tag: string, credentials?: { username: string; password: string }) {
  const reporter = new RecordingReporter();
  const result = checkManifest(parseRepository(`${host}/shop/app`), tag, {
    env: {},
    reporter,
    credentials: async () => (credentials ? { ...credentials, source: "test" } : undefined),
    timeoutMs: 5000,
  });
  return { reporter, result };
}

describe("checkManifest with a Bearer token service", () => {
  test("gets a token with basic credentials and finds the tag's digest", async () => {
    seen.length = 0;
    const { reporter, result } = check("present", { username: "u", password: "p" });
    assert.deepEqual(await result, { exists: true, digest });
    assert.equal(seen.length, 3);
    assert.match(seen[0].accept ?? "", /application\/vnd\.oci\.image\.index\.v1\+json/);
    assert.match(seen[0].accept ?? "", /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
    assert.match(seen[1].url, /^\/token\?service=test-registry&scope=repository%3Ashop%2Fapp%3Apull$/);
    assert.ok(reporter.redacted.includes("t-repository:shop/app:pull"), "the token is registered for redaction");
  });

  test("a missing tag is 404 → not there", async () => {
    assert.deepEqual(await check("absent", { username: "u", password: "p" }).result, { exists: false });
  });

  test("without credentials: the token service refuses and the error says how to log in", async () => {
    await assert.rejects(check("present").result, (error: Error & { exitCode: number; hint: string }) => {
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /requires credentials/);
      assert.match(error.hint, /docker login/);
      return true;
    });
  });

  test("an unreachable registry names the address", async () => {
    // A port that was just free: bind, read it, close.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const reporter = new RecordingReporter();
    await assert.rejects(
      checkManifest(parseRepository(`127.0.0.1:${port}/shop/app`), "x", {
        env: {},
        reporter,
        credentials: async () => undefined,
        timeoutMs: 5000,
      }),
      new RegExp(`cannot reach the registry at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
  });
});
