// grayctl plan without --image, against the real Docker Engine and the loopback
// registry: it finds the image for HEAD without building or pushing it. Not
// built yet: it names the tag and says rollout would build and push it first
// (nothing appears in the registry or the engine); after `grayctl build`: the
// digest the registry has; with uncommitted changes: refused as rollout
// refuses them, or (image.dirty: suffix) always a build.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import type Dockerode from "dockerode";
import { gitTestEnv, type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { registryDigest, requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";
import { type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

const registry = "127.0.0.1:5000";
const name = `grayctl-test/plan-${randomBytes(4).toString("hex")}`;
const repository = `localhost:5000/${name}`;

let docker: Dockerode;
let repo: TempRepo;
let app: SandboxApp;

before(async () => {
  docker = await requireDockerEngine();
  await requireRegistry(registry);
  repo = await tempRepo();
  await repo.write("Dockerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n");
  await repo.write("hello.txt", "hello\n");
  app = await startSandboxApp("app: imaged\n", { traffic: false });
  await writeFile(app.configPath, `app: imaged\nimage:\n  repository: ${repository}\n  context: ${repo.dir}\n`);
});
after(async () => {
  for (const image of await engineImages())
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => {});
  await app.stop();
  await repo.remove();
});

const env = () => ({ ...gitTestEnv, DOCKER_HOST: process.env.DOCKER_HOST ?? "", HOME: "/nonexistent" });
const result = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);
const engineImages = async () => docker.listImages({ filters: JSON.stringify({ reference: [`${repository}*`] }) });

test("an image not built yet: the plan names its tag, says rollout builds and pushes it first, and builds nothing", async () => {
  const commit = await repo.commitAll("first");
  const plan = await app.grayctl(["plan", "-o", "json"], { env: env() });
  assert.equal(plan.code, 0, plan.stderr + plan.stdout);
  const planned = result(plan.stdout);
  assert.equal(planned.image, `${repository}:${commit}`);
  assert.equal(planned.digest, undefined);
  assert.equal(planned.kind, "first-deploy");
  const text = await app.grayctl(["plan"], { env: env() });
  assert.match(text.stdout, /not in the registry yet: `grayctl rollout` builds and pushes it first/);
  assert.equal(await registryDigest(registry, name, commit), undefined, "nothing was pushed");
  assert.deepEqual(await engineImages(), [], "nothing was built");
});

test("after grayctl build, the plan shows the digest the registry has; a dirty tree is refused or (suffix) always built", async () => {
  const commit = (await repo.git("rev-parse", "HEAD")).trim();
  const build = await app.grayctl(["build"], { env: env(), timeoutMs: 180_000 });
  assert.equal(build.code, 0, build.stderr + build.stdout);
  const digest = await registryDigest(registry, name, commit);
  assert.ok(digest);
  const planned = result((await app.grayctl(["plan", "-o", "json"], { env: env() })).stdout);
  assert.equal(planned.image, `${repository}:${commit}@${digest}`);
  assert.equal(planned.digest, digest);

  await repo.write("hello.txt", "changed\n");
  // As rollout would: image.dirty: refuse (the default) is a usage error naming the changed file.
  const refused = await app.grayctl(["plan"], { env: env() });
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(refused.stderr, /uncommitted changes in .*\n\s*hello\.txt/);
  const dirty = await app.grayctl(["plan", "--set", "image.dirty=suffix", "-o", "json"], { env: env() });
  assert.equal(dirty.code, 0, dirty.stderr + dirty.stdout);
  assert.equal(result(dirty.stdout).image, `${repository}:${commit}-dirty`);
  const tags = (await engineImages()).flatMap((image) => image.RepoTags ?? []);
  assert.deepEqual(
    tags,
    [`${repository}:${commit}`],
    "only grayctl build's image: nothing was built for the dirty tree",
  );
  assert.equal(await registryDigest(registry, name, `${commit}-dirty`), undefined);
});
