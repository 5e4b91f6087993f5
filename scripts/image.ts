// `npm run image -- [--push REPO] [--base REF] [--no-build]`: grayctl's own image
// (the Dockerfile at the package root; decision 040), built with grayctl's build
// code (src/build: the engine build, the push, the registry's digest) from the
// single binary (npm run build:binary, run here unless --no-build). With --push
// it prints REPO:VERSION@sha256:… — the digest the registry stored, what a
// CronJob or Deployment should name; without it the image is only tagged
// grayctl:VERSION on the engine, and that is printed.
// --base names the Dockerfile's BASE (default: the public distroless image; where
// nothing can be pulled, scripts/local-base-image.sh makes one).
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { lookupCredentials } from "../src/build/credentials.ts";
import { buildImage } from "../src/build/docker-build.ts";
import { connectDocker } from "../src/build/docker-client.ts";
import { pushImage } from "../src/build/docker-push.ts";
import { parseRepository } from "../src/build/image-ref.ts";
import { ociLabels } from "../src/build/labels.ts";
import { defaultTimeouts } from "../src/build/settings.ts";
import { createReporter } from "../src/output/index.ts";

const ROOT = join(import.meta.dirname, "..");
const usage = "usage: npm run image -- [--push REPO] [--base REF] [--no-build]";

let options: { push?: string; base?: string; "no-build"?: boolean };
try {
  options = parseArgs({
    options: { push: { type: "string" }, base: { type: "string" }, "no-build": { type: "boolean" } },
  }).values;
} catch (error) {
  console.error(`image: ${(error as Error).message}\n${usage}`);
  process.exit(2);
}

const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const repository = options.push ?? "grayctl";
let ref: ReturnType<typeof parseRepository>;
try {
  ref = parseRepository(repository);
} catch (error) {
  console.error(`image: --push: ${(error as Error).message}`);
  process.exit(2);
}

if (!options["no-build"])
  execFileSync(process.execPath, [join(ROOT, "scripts/build-binary.mjs")], { stdio: "inherit" });

// The context is the Dockerfile and the binary alone (a hard link: 128 MiB is not copied).
const context = join(ROOT, "dist/image-context");
rmSync(context, { recursive: true, force: true });
mkdirSync(context, { recursive: true });
linkSync(join(ROOT, "Dockerfile"), join(context, "Dockerfile"));
linkSync(join(ROOT, "dist/bin/grayctl-linux-x64"), join(context, "grayctl-linux-x64"));

const env = process.env;
// Progress on stderr; stdout carries the image reference alone.
const reporter = createReporter({ format: "text", stdout: process.stderr, stderr: process.stderr, env });
const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
const docker = await connectDocker(env, defaultTimeouts.engineMs, undefined);
const imageName = `${ref.repository}:${version}`;
try {
  const imageId = await buildImage({
    docker,
    settings: {
      repository: ref.repository,
      context,
      dockerfile: "Dockerfile",
      tag: "commit",
      dirty: "suffix",
      buildArgs: options.base ? { BASE: options.base } : {},
      labels: {},
    },
    imageName,
    labels: ociLabels({ revision: commit, version, created: new Date(), extra: {} }),
    reporter,
    timeoutMs: defaultTimeouts.buildMs,
  });
  if (!options.push) {
    process.stdout.write(`${imageName} (image ${imageId}; not pushed: --push REPO for a registry digest)\n`);
  } else {
    const credentials = await lookupCredentials(ref.credentialKey, {
      env,
      homeDir: homedir(),
      reporter,
      helperTimeoutMs: defaultTimeouts.credentialHelperMs,
    });
    const digest = await pushImage({
      docker,
      ref,
      tag: version,
      credentials,
      reporter,
      timeoutMs: defaultTimeouts.pushMs,
    });
    if (!digest) throw new Error(`the engine pushed ${imageName} without naming its digest`);
    process.stdout.write(`${imageName}@${digest}\n`);
  }
} catch (error) {
  console.error(`image: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  rmSync(context, { recursive: true, force: true });
}
