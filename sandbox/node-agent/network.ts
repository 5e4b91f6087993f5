// The node's pod network, with iproute2: one bridge holding the gateway
// address, and per pod a network namespace joined to the bridge by a veth pair
// (the pod end renamed eth0, at the pod's IP, default route via the bridge).
// The API server's pod proxy refuses loopback pod IPs, hence real addresses.
//
// Names carry the bridge's name as prefix (`grayctl0-<12 hex of the pod UID>`),
// so a restarted agent can find and remove what a crashed one left behind, and
// never touches namespaces of anything else on the machine (another agent uses
// another bridge). Veth host ends are `gc<12 hex>` (interface names are at most
// 15 characters).
import { HostCommandError, run, runQuietly } from "./host-command.ts";
import type { PodCidr } from "./ip-pool.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A pod's namespace and host veth names on `bridge`. */
export function podNames(bridge: string, podUid: string): PodNames {
  const hex = podUid.replace(/-/g, "").slice(0, 12);
  return { netns: `${bridge}-${hex}`, hostVeth: `gc${hex}` };
}

/**
 * Whether `netns` is a pod namespace of `bridge`: the bridge's name, a dash and
 * exactly the 12 hex of a pod UID. A prefix alone is not enough: bridge
 * `grayctl` would take `grayctl-test-…` (another cluster's pod beside it) for
 * its own leftover and kill it at start.
 */
export function isPodNamespaceOf(bridge: string, netns: string): boolean {
  return netns.startsWith(`${bridge}-`) && /^[0-9a-f]{12}$/.test(netns.slice(bridge.length + 1));
}

export interface PodNames {
  netns: string;
  hostVeth: string;
}

export class NodeNetwork {
  readonly bridge: string;
  readonly cidr: PodCidr;
  private createdBridge = false;

  constructor(bridge: string, cidr: PodCidr) {
    this.bridge = bridge;
    this.cidr = cidr;
  }

  namesFor(podUid: string): PodNames {
    return podNames(this.bridge, podUid);
  }

  /** Creates the bridge unless it exists (one it created is removed on stop), gives it the gateway address, up. */
  async ensureBridge(): Promise<void> {
    const exists = await run(["ip", "link", "show", "dev", this.bridge]).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await run(["ip", "link", "add", this.bridge, "type", "bridge"]);
      this.createdBridge = true;
    }
    const address = `${this.cidr.gateway}/${this.cidr.prefixLength}`;
    const addresses = await run(["ip", "-o", "-4", "addr", "show", "dev", this.bridge]);
    if (!addresses.includes(` ${address} `)) await run(["ip", "addr", "add", address, "dev", this.bridge]);
    await run(["ip", "link", "set", this.bridge, "up"]);
  }

  /** Removes the bridge if this agent created it. */
  async removeBridge(): Promise<void> {
    if (this.createdBridge) await runQuietly(["ip", "link", "del", this.bridge]);
    this.createdBridge = false;
  }

  /** Namespaces with this bridge's prefix: a crashed run's leftovers at start. */
  async listPodNamespaces(): Promise<string[]> {
    const out = await run(["ip", "netns", "list"]);
    return out
      .split("\n")
      .map((line) => line.split(" ")[0])
      .filter((name) => isPodNamespaceOf(this.bridge, name));
  }

  /** A fresh namespace for a pod whose containers are local processes, wired to the bridge. */
  async addPod(names: PodNames, ip: string): Promise<void> {
    await this.removePod(names);
    await run(["ip", "netns", "add", names.netns]);
    await this.wire(names, ip);
  }

  /**
   * The same for a Docker container, whose namespace Docker made: it is given
   * the pod's name (`ip netns attach`) and wired like any other. Called at every
   * start of the container, since a restarted container has a new namespace;
   * the pod keeps its IP.
   */
  async attachPod(names: PodNames, ip: string, pid: number): Promise<void> {
    await runQuietly(["ip", "netns", "del", names.netns]);
    await runQuietly(["ip", "link", "del", names.hostVeth]);
    await run(["ip", "netns", "attach", names.netns, String(pid)]);
    await this.wire(names, ip);
  }

  private async wire(names: PodNames, ip: string): Promise<void> {
    const podEnd = `gp${names.hostVeth.slice(2)}`;
    const inPod = (...args: string[]) => run(["ip", "-n", names.netns, ...args]);
    await run(["ip", "link", "add", names.hostVeth, "type", "veth", "peer", "name", podEnd, "netns", names.netns]);
    await run(["ip", "link", "set", names.hostVeth, "master", this.bridge, "up"]);
    await inPod("link", "set", podEnd, "name", "eth0");
    await inPod("addr", "add", `${ip}/${this.cidr.prefixLength}`, "dev", "eth0");
    await inPod("link", "set", "eth0", "up");
    await inPod("link", "set", "lo", "up");
    await inPod("route", "add", "default", "via", this.cidr.gateway);
    // An address used before may still sit in the host's neighbour cache with
    // the old veth's MAC; forget it so the first packet asks again.
    await runQuietly(["ip", "neigh", "flush", "to", ip, "dev", this.bridge]);
  }

  /**
   * Stops whatever still runs in the pod's namespace (SIGTERM, SIGKILL after
   * graceMs), then deletes the namespace and the veth. Safe on a pod that has none.
   */
  async removePod(names: PodNames, graceMs = 2000): Promise<void> {
    await this.killAll(names.netns, graceMs);
    await runQuietly(["ip", "netns", "del", names.netns]);
    await runQuietly(["ip", "link", "del", names.hostVeth]);
  }

  private async killAll(netns: string, graceMs: number): Promise<void> {
    const pids = async () => {
      try {
        const out = await run(["ip", "netns", "pids", netns]);
        return out.split(/\s+/).filter(Boolean).map(Number);
      } catch (error) {
        // No such namespace: nothing runs in it.
        if (error instanceof HostCommandError) return [];
        throw error;
      }
    };
    const signal = (pid: number, name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
      } catch {
        // Already gone.
      }
    };
    let running = await pids();
    if (running.length === 0) return;
    for (const pid of running) signal(pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (running.length > 0 && Date.now() < deadline) {
      await sleep(100);
      running = await pids();
    }
    for (const pid of running) signal(pid, "SIGKILL");
    // SIGKILL cannot be refused; wait (briefly) until the kernel has reaped them.
    const killDeadline = Date.now() + 5000;
    while ((await pids()).length > 0 && Date.now() < killDeadline) await sleep(50);
  }
}
