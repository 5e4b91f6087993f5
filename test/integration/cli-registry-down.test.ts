// A registry that is down is exit 6 ("did not answer"), whether the image is
// given (`--image repo:tag`, resolved to its digest) or found for HEAD (no
// --image: the registry is asked whether the commit's image exists). "Down"
// is a loopback port with nothing listening: connection refused, as from a
// registry whose process is not running. Nothing in the cluster changes.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, test } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { type TempRepo, tempRepo } from "../helpers/git-repo.ts";
import { type SandboxApp, startSandboxApp } from "../helpers/sandbox-app.ts";

let app: SandboxApp;
let repo: TempRepo;
let registry: string;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  registry = `127.0.0.1:${await closedPort()}`;
  const config = `app: regdown
image:
  repository: ${registry}/shop/regdown
deployment:
  replicas: 1
traffic:
  router: replicas
`;
  app = await startSandboxApp(config);
  repo = await tempRepo();
  await repo.write("grayctl.yaml", config);
  await repo.write("Dockerfile", "FROM scratch\n");
  await repo.commitAll("first");
});
after(async () => {
  await app?.stop();
  await repo?.remove();
});

test("rollout --image with the registry down: exit 6, naming the registry, nothing deployed", async () => {
  const result = await app.grayctl(["rollout", "--image", `${registry}/shop/regdown:v1`]);
  assert.equal(result.code, 6, result.stderr + result.stdout);
  assert.match(result.stderr, new RegExp(`cannot reach the registry at http://${registry}: ECONNREFUSED`));
  assert.equal(app.state(), undefined);
});

test("rollout without --image (the image for HEAD) with the registry down: exit 6 too", async () => {
  // From the repository, as CI runs it: its grayctl.yaml, its HEAD.
  const result = await runCli(["--kubeconfig", app.sandbox.kubeconfigPath, "rollout"], {
    cwd: repo.dir,
    env: { GRAYCTL_ACTOR: "test-runner" },
    timeoutMs: 120_000,
  });
  assert.equal(result.code, 6, result.stderr + result.stdout);
  assert.match(result.stderr, new RegExp(`cannot reach the registry at http://${registry}: ECONNREFUSED`));
  assert.doesNotMatch(result.stderr, /internal error/);
  assert.equal(app.state(), undefined);
});
