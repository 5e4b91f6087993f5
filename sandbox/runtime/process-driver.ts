// Runs sandbox.local images as local processes: `sandbox.local/demo-app:TAG`
// is the demo app on the same Node as the sandbox, `sandbox.local/grayctl:TAG`
// is grayctl (bin/grayctl.js of this checkout) with the container's args — a
// stand-in for grayctl's real image until that runs on Docker. Anything else is
// not an image this driver knows, which the pod sees as a failed pull.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type ContainerDriver, type ContainerLaunch, ImagePullError, type RunningContainer } from "./driver.ts";

const DEMO_APP = fileURLToPath(new URL("../demo-app/server.ts", import.meta.url));
const GRAYCTL = fileURLToPath(new URL("../../bin/grayctl.js", import.meta.url));
export const LOCAL_REGISTRY = "sandbox.local/";
// By absolute path: the app's environment has no PATH, and spawn looks commands up in it.
const onHost = (name: string) =>
  [`/usr/sbin/${name}`, `/sbin/${name}`, `/usr/bin/${name}`, `/bin/${name}`].find((path) => existsSync(path)) ?? name;
const IP_COMMAND = onHost("ip");

/** The program and arguments an image runs, as its entrypoint and the container's command/args make them. */
function programOf(launch: ContainerLaunch): string[] {
  const repository = repositoryOf(launch.image);
  if (repository === `${LOCAL_REGISTRY}demo-app`) return [process.execPath, DEMO_APP];
  if (repository === `${LOCAL_REGISTRY}grayctl`) {
    // The image's entrypoint is grayctl; a command may name it again (["grayctl", "status"]), nothing else.
    const [program, ...rest] = launch.command ?? ["grayctl"];
    if (program !== "grayctl" && !program.endsWith("/grayctl"))
      throw new Error(
        `${launch.image} has only the program grayctl; container ${launch.containerName} asks for ${program}`,
      );
    return [process.execPath, GRAYCTL, ...rest, ...(launch.args ?? [])];
  }
  throw new ImagePullError(
    `rpc error: code = NotFound desc = failed to pull and unpack image "${launch.image}": not a sandbox.local image and Docker mode is off`,
  );
}

const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/**
 * The shell lines that give the container its mounts, run in the pod's own
 * mount namespace (`ip netns exec` makes one, slave to the host's, so nothing
 * leaks out): a tmpfs over /run, so the pod has a /run of its own to create
 * /var/run/secrets/… in without touching the host's, then each directory
 * bound read-only.
 */
function mountScript(mounts: NonNullable<ContainerLaunch["mounts"]>): string {
  const [mount, mkdir] = [onHost("mount"), onHost("mkdir")];
  const lines = ["set -e", `${mount} -t tmpfs -o mode=0755 tmpfs /run`];
  for (const { hostPath, containerPath } of mounts) {
    const target = quote(containerPath);
    lines.push(`${mkdir} -p ${target}`, `${mount} --bind ${quote(hostPath)} ${target}`);
    lines.push(`${mount} -o remount,bind,ro ${target}`);
  }
  return [...lines, 'exec "$@"'].join("\n");
}

export function isLocalImage(image: string): boolean {
  return image.startsWith(LOCAL_REGISTRY);
}

function repositoryOf(image: string): string {
  const withoutDigest = image.split("@")[0];
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** A stable image ID: the pinned digest if there is one, else a digest of the reference. */
export function localImageID(image: string): string {
  const digest = image.split("@")[1] ?? `sha256:${createHash("sha256").update(image).digest("hex")}`;
  return `${repositoryOf(image)}@${digest}`;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signals: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2 };
  return 128 + (signal ? (signals[signal] ?? 1) : 1);
}

export class ProcessDriver implements ContainerDriver {
  private readonly children = new Set<ChildProcess>();

  async start(launch: ContainerLaunch): Promise<RunningContainer> {
    const program = programOf(launch);
    const logFd = launch.logFile ? openSync(launch.logFile, "a") : undefined;
    const output = logFd ?? "ignore";
    // `ip netns exec` enters the namespace and execs the command in place (no fork),
    // so the child's PID is the app's own and signals reach it directly.
    // Mounts need the pod's mount namespace, which only `ip netns exec` makes (the sandbox has none).
    const mounted = launch.network && launch.mounts?.length ? ["/bin/sh", "-c", mountScript(launch.mounts), "sh"] : [];
    const [command, args]: [string, string[]] = launch.network
      ? [IP_COMMAND, ["netns", "exec", launch.network.netns, ...mounted, ...program]]
      : [program[0], program.slice(1)];
    const child = spawn(command, args, {
      env: { ...launch.env, IMAGE: launch.image },
      stdio: ["ignore", output, output],
    });
    if (logFd !== undefined) closeSync(logFd);
    this.children.add(child);
    const exited = new Promise<number>((resolve) => {
      child.once("exit", (code, signal) => {
        this.children.delete(child);
        resolve(exitCodeOf(code, signal));
      });
      child.once("error", () => {
        this.children.delete(child);
        resolve(128);
      });
    });
    if (child.pid === undefined) throw new Error(`could not start ${program.join(" ")}`);
    const pid = child.pid;
    return {
      containerID: `sandbox://${pid}`,
      imageID: localImageID(launch.image),
      exited,
      stop: async (graceMs) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      },
    };
  }

  async close(): Promise<void> {
    const waits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve()))),
    );
    for (const child of this.children) child.kill("SIGKILL");
    await Promise.all(waits);
  }
}
