import assert from "node:assert/strict";
import { test } from "node:test";
import { dockerOptions } from "../../src/build/docker-client.ts";
import { parseRepository, registryScheme } from "../../src/build/image-ref.ts";

const refs = [
  ["localhost:5000/shop/checkout", "localhost:5000", "shop/checkout", "localhost:5000"],
  ["registry.example.com/shop/checkout", "registry.example.com", "shop/checkout", "registry.example.com"],
  ["shop/checkout", "registry-1.docker.io", "shop/checkout", "https://index.docker.io/v1/"],
  ["checkout", "registry-1.docker.io", "library/checkout", "https://index.docker.io/v1/"],
  ["docker.io/shop/checkout", "registry-1.docker.io", "shop/checkout", "https://index.docker.io/v1/"],
] as const;
for (const [repository, host, name, key] of refs) {
  test(`parseRepository(${repository})`, () => {
    assert.deepEqual(parseRepository(repository), { repository, registryHost: host, name, credentialKey: key });
  });
}

for (const bad of ["localhost:5000/shop/checkout:v1", "Shop/Checkout", "a/b@sha256:00", ""]) {
  test(`parseRepository rejects ${JSON.stringify(bad)} naming image.repository`, () => {
    assert.throws(() => parseRepository(bad), /image\.repository/);
  });
}

test("registryScheme: loopback and listed insecure registries are plain HTTP", () => {
  assert.equal(registryScheme("localhost:5000", {}), "http");
  assert.equal(registryScheme("127.0.0.1:5001", {}), "http");
  assert.equal(registryScheme("registry.example.com", {}), "https");
  assert.equal(registryScheme("reg.lan:5000", { GRAYCTL_INSECURE_REGISTRIES: "other, reg.lan:5000" }), "http");
});

test("dockerOptions honours DOCKER_HOST", () => {
  assert.deepEqual(dockerOptions({}), { socketPath: "/var/run/docker.sock" });
  assert.deepEqual(dockerOptions({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }), {
    socketPath: "/run/user/1000/docker.sock",
  });
  assert.deepEqual(dockerOptions({ DOCKER_HOST: "tcp://127.0.0.1:2375" }), {
    host: "127.0.0.1",
    port: 2375,
    protocol: "http",
  });
  assert.throws(() => dockerOptions({ DOCKER_HOST: "ssh://me@host" }), /DOCKER_HOST=ssh/);
});
