// Runs images as real containers on the Docker Engine. In the sandbox there is
// no bridge, so containers share the host network and are told their port
// through PORT, exactly like the local processes. On a node (launch.network set)
// each container gets the network mode the pod asks for and, once running, is
// handed back by PID so the pod's network can be wired into its namespace.
import { createWriteStream } from "node:fs";
import Docker from "dockerode";
import { type ContainerDriver, type ContainerLaunch, ImagePullError, type RunningContainer } from "./driver.ts";

export const POD_LABEL = "sandbox.grayctl.dev/pod";

export interface DockerOptions {
  socketPath?: string;
  /** Put on every container besides the pod's labels: who started it (the node agent names its node). */
  labels?: Record<string, string>;
}

export class DockerDriver implements ContainerDriver {
  private readonly docker: Docker;
  private readonly labels: Record<string, string>;
  private readonly running = new Set<Docker.Container>();

  constructor(options: DockerOptions = {}) {
    // Without a socketPath dockerode reads DOCKER_HOST, else /var/run/docker.sock.
    this.docker = options.socketPath ? new Docker({ socketPath: options.socketPath }) : new Docker();
    this.labels = options.labels ?? {};
  }

  /**
   * Removes the containers a crashed run with the same `labels` left behind;
   * none without labels (they are what tells this runtime's containers apart).
   */
  async removeLeftovers(): Promise<number> {
    const filters = Object.entries(this.labels).map(([key, value]) => `${key}=${value}`);
    if (filters.length === 0) return 0;
    const leftovers = await this.docker.listContainers({ all: true, filters: { label: filters } });
    await Promise.all(
      leftovers.map((c) =>
        this.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
    );
    return leftovers.length;
  }

  private async ensureImage(image: string): Promise<Docker.ImageInspectInfo> {
    try {
      return await this.docker.getImage(image).inspect();
    } catch {
      // Not present locally: pull it, as kubelet's IfNotPresent policy does.
    }
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
          const failed = err ?? output.find((o) => o.error);
          if (failed) reject(err ?? new Error(String((failed as { error?: string }).error)));
          else resolve();
        }),
      );
      return await this.docker.getImage(image).inspect();
    } catch (err) {
      throw new ImagePullError(`failed to pull image "${image}": ${(err as Error).message}`);
    }
  }

  async start(launch: ContainerLaunch): Promise<RunningContainer> {
    const info = await this.ensureImage(launch.image);
    const container = await this.docker.createContainer({
      Image: launch.image,
      Env: Object.entries(launch.env).map(([k, v]) => `${k}=${v}`),
      ...(launch.command ? { Entrypoint: launch.command } : {}),
      ...(launch.args ? { Cmd: launch.args } : {}),
      Labels: {
        ...this.labels,
        [POD_LABEL]: `${launch.namespace}/${launch.podName}`,
        "sandbox.grayctl.dev/container": launch.containerName,
      },
      HostConfig: {
        NetworkMode: launch.network?.dockerNetworkMode(launch.containerName) ?? "host",
        Binds: (launch.mounts ?? []).map((m) => `${m.hostPath}:${m.containerPath}:ro`),
      },
    });
    this.running.add(container);
    try {
      await container.start();
      if (launch.network) {
        const inspected = await container.inspect();
        await launch.network.attach(launch.containerName, inspected.State.Pid, container.id);
      }
    } catch (err) {
      this.running.delete(container);
      await container.remove({ force: true }).catch(() => {});
      throw err;
    }
    // Waiting after the start, on "not-running": a container that already exited
    // answers at once with its code. (Waiting before the start would return at
    // once too, for the container is not running yet.)
    const exited = container.wait({ condition: "not-running" }).then(
      (result: { StatusCode: number }) => result.StatusCode,
      () => 137,
    );
    let logsRead: Promise<void> = Promise.resolve();
    if (launch.logFile) {
      const stream = await container.logs({ follow: true, stdout: true, stderr: true });
      const file = createWriteStream(launch.logFile, { flags: "a" });
      container.modem.demuxStream(stream, file, file);
      logsRead = new Promise((resolve) => {
        stream.on("end", resolve);
        stream.on("close", resolve);
        stream.on("error", resolve);
      });
      stream.on("end", () => file.end());
    }
    // A container that exits by itself is not started again (a restart is a new
    // container): remove it once its logs are read (or after 5 s), so a crash
    // loop leaves no trail of dead containers.
    void exited
      .then(() => Promise.race([logsRead, new Promise((resolve) => setTimeout(resolve, 5000).unref())]))
      .then(() => {
        this.running.delete(container);
        return container.remove({ force: true }).catch(() => {});
      });
    const imageID = info.RepoDigests?.[0] ? `docker-pullable://${info.RepoDigests[0]}` : info.Id;
    return {
      containerID: `docker://${container.id}`,
      imageID,
      exited,
      stop: async (graceMs) => {
        await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) }).catch(() => {});
        await exited;
        await container.remove({ force: true }).catch(() => {});
        this.running.delete(container);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((c) => c.remove({ force: true }).catch(() => {})));
    this.running.clear();
  }
}
