// Credential lookup from real files and a real helper executable in a temp dir.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { lookupCredentials } from "../../src/build/credentials.ts";
import { RecordingReporter } from "../helpers/recording-reporter.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "grayctl-creds-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configDir(name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await mkdir(path, { recursive: true });
  await writeFile(join(path, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  return path;
}

function lookup(key: string, env: NodeJS.ProcessEnv, homeDir = "/nonexistent") {
  const reporter = new RecordingReporter();
  const found = lookupCredentials(key, {
    env: { PATH: process.env.PATH, ...env },
    homeDir,
    reporter,
    helperTimeoutMs: 5000,
  });
  return { reporter, found };
}

describe("lookupCredentials", () => {
  test("environment variables win and the password is registered for redaction", async () => {
    const { reporter, found } = lookup("r.example", {
      GRAYCTL_REGISTRY_USERNAME: "u",
      GRAYCTL_REGISTRY_PASSWORD: "p4ss",
    });
    assert.deepEqual(await found, {
      username: "u",
      password: "p4ss",
      source: "GRAYCTL_REGISTRY_USERNAME/GRAYCTL_REGISTRY_PASSWORD",
    });
    assert.deepEqual(reporter.redacted, ["p4ss"]);
    assert.ok(!reporter.text().includes("p4ss"));
  });

  test("auths: base64 auth, keys with scheme and path, username/password, identity token", async () => {
    const auth = Buffer.from("alice:wonder:land").toString("base64");
    const DOCKER_CONFIG = await configDir("auths", {
      auths: {
        "https://r.example/v1/": { auth },
        "plain.example": { username: "bob", password: "b0b" },
        "idp.example": { identitytoken: "refresh-me" },
      },
    });
    const first = lookup("r.example", { DOCKER_CONFIG });
    assert.deepEqual(await first.found, {
      username: "alice",
      password: "wonder:land",
      source: join(DOCKER_CONFIG, "config.json"),
    });
    assert.ok(first.reporter.redacted.includes("wonder:land") && first.reporter.redacted.includes(auth));
    assert.equal((await lookup("plain.example", { DOCKER_CONFIG }).found)?.password, "b0b");
    assert.equal((await lookup("idp.example", { DOCKER_CONFIG }).found)?.identityToken, "refresh-me");
    assert.equal(await lookup("unknown.example", { DOCKER_CONFIG }).found, undefined);
  });

  test("home dir is used when DOCKER_CONFIG is unset; no config at all means no credentials", async () => {
    await configDir("home/.docker", { auths: { "h.example": { username: "h", password: "hp" } } });
    assert.equal((await lookup("h.example", {}, join(dir, "home")).found)?.username, "h");
    assert.equal(await lookup("h.example", {}, join(dir, "nowhere")).found, undefined);
  });

  test("credHelpers and credsStore run docker-credential-<name> get with the server on stdin", async () => {
    const bin = join(dir, "bin");
    await mkdir(bin, { recursive: true });
    const helper = join(bin, "docker-credential-stub");
    await writeFile(
      helper,
      [
        "#!/bin/sh",
        "read -r server",
        'case "$server" in',
        '  helped.example) echo \'{"Username":"hu","Secret":"hs"}\' ;;',
        '  token.example) echo \'{"Username":"<token>","Secret":"tok"}\' ;;',
        "  *) echo 'credentials not found in native keychain'; exit 1 ;;",
        "esac",
        "",
      ].join("\n"),
    );
    await chmod(helper, 0o755);
    const PATH = `${bin}:${process.env.PATH}`;
    const DOCKER_CONFIG = await configDir("helpers", { credHelpers: { "helped.example": "stub" }, credsStore: "stub" });
    const helped = lookup("helped.example", { DOCKER_CONFIG, PATH });
    assert.deepEqual(await helped.found, { username: "hu", password: "hs", source: "docker-credential-stub" });
    assert.ok(helped.reporter.redacted.includes("hs"));
    assert.deepEqual(await lookup("token.example", { DOCKER_CONFIG, PATH }).found, {
      identityToken: "tok",
      source: "docker-credential-stub",
    });
    assert.equal(await lookup("other.example", { DOCKER_CONFIG, PATH }).found, undefined);
  });

  test("a helper that is not installed, or a broken config.json: clear errors without file contents", async () => {
    const missing = await configDir("missing-helper", { credsStore: "nonexistent-xyz" });
    await assert.rejects(lookup("r.example", { DOCKER_CONFIG: missing }).found, /docker-credential-nonexistent-xyz/);
    const broken = await configDir("broken", '{"auths": {"r.example": {"auth": "c2VjcmV0"}');
    await assert.rejects(lookup("r.example", { DOCKER_CONFIG: broken }).found, (error: Error) => {
      assert.match(error.message, /config\.json is not valid JSON/);
      assert.ok(!error.message.includes("c2VjcmV0"));
      return true;
    });
  });
});
