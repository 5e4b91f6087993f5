// Which requests go through the proxy, by Go's http.ProxyFromEnvironment rules
// (kubectl's): a table of URL × environment → proxy or direct.
import assert from "node:assert/strict";
import { test } from "node:test";
import { proxyFor } from "../../src/util/proxy-env.ts";

const P = "http://proxy.corp:3128";
const cases: [string, Record<string, string>, string | undefined][] = [
  ["https://api.corp:6443", { HTTPS_PROXY: P }, P],
  ["https://api.corp:6443", { https_proxy: P }, P],
  ["https://api.corp:6443", { HTTP_PROXY: P }, undefined], // https uses HTTPS_PROXY only
  ["http://prom.corp:9090", { HTTP_PROXY: P }, P],
  ["http://prom.corp:9090", { HTTPS_PROXY: P }, undefined],
  ["https://api.corp:6443", { HTTPS_PROXY: "proxy.corp:3128" }, P], // no scheme: http:// assumed
  ["https://127.0.0.1:6443", { HTTPS_PROXY: P }, undefined], // loopback: never
  ["https://127.9.9.9:6443", { HTTPS_PROXY: P }, undefined],
  ["https://localhost:6443", { HTTPS_PROXY: P }, undefined],
  ["https://[::1]:6443", { HTTPS_PROXY: P }, undefined],
  ["https://api.corp:6443", { HTTPS_PROXY: P, NO_PROXY: "*" }, undefined],
  ["https://api.corp:6443", { HTTPS_PROXY: P, NO_PROXY: "api.corp" }, undefined],
  ["https://x.api.corp:6443", { HTTPS_PROXY: P, NO_PROXY: "api.corp" }, undefined], // subdomains too
  ["https://api.corp:6443", { HTTPS_PROXY: P, NO_PROXY: ".api.corp" }, P], // ".x" only subdomains
  ["https://x.api.corp:6443", { HTTPS_PROXY: P, no_proxy: "*.api.corp" }, undefined],
  ["https://notapi.corp:6443", { HTTPS_PROXY: P, NO_PROXY: "api.corp" }, P],
  ["https://API.CORP:6443", { HTTPS_PROXY: P, NO_PROXY: " other, api.corp " }, undefined],
  ["https://api.corp:6443", { HTTPS_PROXY: P, NO_PROXY: "api.corp:443" }, P], // another port
  ["https://api.corp:6443", { HTTPS_PROXY: P, NO_PROXY: "api.corp:6443" }, undefined],
  ["https://10.96.0.1:443", { HTTPS_PROXY: P, NO_PROXY: "10.96.0.0/12" }, undefined],
  ["https://10.112.0.1:443", { HTTPS_PROXY: P, NO_PROXY: "10.96.0.0/12" }, P],
  ["https://10.96.0.1:443", { HTTPS_PROXY: P, NO_PROXY: "10.96.0.1" }, undefined],
  ["https://api.corp:6443", {}, undefined],
];

for (const [url, env, expected] of cases)
  test(`${url} with ${JSON.stringify(env)} → ${expected ?? "direct"}`, () => {
    assert.equal(proxyFor(url, env), expected);
  });
