// The sandbox's Docker mode against the real Docker Engine and registry: a pod
// whose image is not sandbox.local runs as a container pulled from
// localhost:5000, on the host network, and goes away with the pod.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type Dockerode from "dockerode";
import { hostPortOf } from "../../sandbox/endpoints.ts";
import { R } from "../../sandbox/resources.ts";
import { Store } from "../../sandbox/store.ts";
import { POD_LABEL } from "../../sandbox/runtime/docker-driver.ts";
import { startWorkloads } from "../../sandbox/workloads.ts";
import { requireDockerEngine, requireRegistry } from "../helpers/real-parts.ts";
import { waitFor } from "../integration/sandbox-workloads.helpers.ts";

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function followStream(docker: Dockerode, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output.find((o) => o.error);
      if (err || failed) reject(new Error(`${what}: ${err?.message ?? failed?.error}`));
      else resolve();
    }),
  );
}

/** A `FROM scratch` image: Debian's static busybox serving /healthz on $PORT. */
async function buildBusyboxImage(docker: Dockerode, repository: string, tag: string): Promise<void> {
  const context = mkdtempSync(join(tmpdir(), "sandbox-busybox-"));
  cleanups.push(async () => rmSync(context, { recursive: true, force: true }));
  copyFileSync("/bin/busybox", join(context, "busybox"));
  writeFileSync(join(context, "healthz"), "ok\n");
  writeFileSync(
    join(context, "Dockerfile"),
    [
      "FROM scratch",
      "COPY busybox /bin/busybox",
      "COPY healthz /www/healthz",
      'ENTRYPOINT ["/bin/busybox", "sh", "-c", "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www"]',
      "",
    ].join("\n"),
  );
  const build = await docker.buildImage(
    { context, src: ["Dockerfile", "busybox", "healthz"] },
    { t: `${repository}:${tag}` },
  );
  await followStream(docker, build, "docker build");
  const push = await docker
    .getImage(repository)
    .push({ tag, authconfig: {} } as Parameters<Dockerode.Image["push"]>[0]);
  await followStream(docker, push, "docker push");
}

test("a pod with a registry image runs as a real container, becomes Ready, and is removed with the pod", async () => {
  const docker = await requireDockerEngine();
  const registry = await requireRegistry();
  const repository = `localhost:${registry.split(":")[1]}/sandbox-busybox-httpd`;
  const tag = `t${randomBytes(4).toString("hex")}`;
  const image = `${repository}:${tag}`;
  await buildBusyboxImage(docker, repository, tag);
  // Remove the local copy so the runtime has to pull it from the registry.
  await docker.getImage(image).remove({ force: true });
  cleanups.push(() => docker.getImage(image).remove({ force: true }));

  const store = new Store();
  const workloads = await startWorkloads(store, { docker: {} });
  cleanups.push(() => workloads.stop());
  store.create(R.pods, "default", {
    metadata: { name: "busybox", labels: { app: "busybox" } },
    spec: {
      containers: [
        {
          name: "httpd",
          image,
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  });
  const ready = await waitFor(
    "busybox pod Ready",
    () => {
      const pod = store.get(R.pods, "default", "busybox");
      const condition = pod?.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
      return condition?.status === "True" ? pod : undefined;
    },
    60_000,
  );
  const status = ready.status.containerStatuses[0];
  assert.match(status.containerID, /^docker:\/\/[0-9a-f]{64}$/);
  assert.match(status.imageID, /^docker-pullable:\/\/localhost:5000\/sandbox-busybox-httpd@sha256:[0-9a-f]{64}$/);
  assert.ok(status.state.running, JSON.stringify(status.state));
  assert.equal(status.restartCount, 0, "the container ran once, without restarts");
  const port = hostPortOf(ready, 8080);
  assert.ok(port);
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "ok\n");
  const containerId = status.containerID.slice("docker://".length);
  const inspected = await docker.getContainer(containerId).inspect();
  assert.equal(inspected.HostConfig.NetworkMode, "host");
  assert.ok(inspected.Config.Env.includes(`PORT=${port}`));

  store.delete(R.pods, "default", "busybox");
  await waitForGone(docker, containerId);
  const afterwards = await fetch(`http://127.0.0.1:${port}/healthz`).then(
    async (r) => `HTTP ${r.status} ${JSON.stringify(await r.text())} ${JSON.stringify([...r.headers])}`,
    (err: Error) => `refused: ${err.message}`,
  );
  assert.match(afterwards, /^refused/, "nothing answers on the pod's port once it is gone");
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`${POD_LABEL}=default/busybox`] } });
  assert.deepEqual(
    leftovers.map((c) => c.Id),
    [],
    "no container of the pod is left",
  );
});

async function waitForGone(docker: Dockerode, id: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      await docker.getContainer(id).inspect();
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${id} still exists 15 s after its pod was deleted`);
}
