// Pod addresses from the node's pod CIDR: the bridge takes the first host
// address (.1), pods get the next ones in turn, after the last one handed out,
// as CNI's host-local IPAM does. Reusing the lowest free address at once made
// the root namespace's neighbour (ARP) cache still point a fresh pod's IP at
// the deleted pod's veth: the API server's pod proxy and the probes got no
// answer for seconds (found on the real control plane under the suites).

export interface PodCidr {
  /** The bridge's address, the pods' default gateway. */
  gateway: string;
  prefixLength: number;
}

function toInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`${ip} is not an IPv4 address`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function toIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

export class IpPool {
  readonly cidr: PodCidr;
  private readonly first: number;
  private readonly last: number;
  private readonly taken = new Set<number>();
  private next: number;

  constructor(podCidr: string) {
    const match = /^([\d.]+)\/(\d+)$/.exec(podCidr);
    const prefixLength = Number(match?.[2]);
    if (!match || prefixLength < 8 || prefixLength > 30)
      throw new Error(`podCidr ${JSON.stringify(podCidr)} must be an IPv4 CIDR with a prefix of 8 to 30 bits`);
    const size = 2 ** (32 - prefixLength);
    const network = toInt(match[1]) - (toInt(match[1]) % size);
    this.cidr = { gateway: toIp(network + 1), prefixLength };
    this.first = network + 2;
    this.last = network + size - 2;
    this.next = this.first;
  }

  contains(ip: string): boolean {
    try {
      const value = toInt(ip);
      return value >= this.first && value <= this.last;
    } catch {
      return false;
    }
  }

  /** The preferred address if it is in range and free (a pod keeps its IP across an agent restart), else the next free one in turn. */
  allocate(preferred?: string): string {
    if (preferred && this.contains(preferred) && !this.taken.has(toInt(preferred))) {
      this.taken.add(toInt(preferred));
      return preferred;
    }
    const count = this.last - this.first + 1;
    for (let offset = 0; offset < count; offset++) {
      const value = this.first + ((this.next - this.first + offset) % count);
      if (!this.taken.has(value)) {
        this.taken.add(value);
        this.next = value + 1 > this.last ? this.first : value + 1;
        return toIp(value);
      }
    }
    throw new Error(`no free pod address left in ${toIp(this.first - 2)}/${this.cidr.prefixLength}`);
  }

  release(ip: string): void {
    if (this.contains(ip)) this.taken.delete(toInt(ip));
  }
}
