/** IPv4 addresses handed out lowest first from a subnet, as GCE assigns internal and ephemeral IPs. */

/** A pool over a CIDR: `.0` (network), `.1` (gateway) and the last two addresses are reserved, as in GCE subnets. */
export class AddressPool {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Set<number>();

  constructor(cidr: string) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
    if (!m) throw new Error(`not an IPv4 CIDR: ${cidr}`);
    const prefix = Number(m[5]);
    const ip = m.slice(1, 5).reduce((acc, part) => acc * 256 + Number(part), 0);
    this.size = 2 ** (32 - prefix);
    this.base = ip - (ip % this.size);
  }

  /** The lowest free address. */
  take(): string {
    for (let i = 2; i < this.size - 2; i++) {
      if (this.used.has(i)) continue;
      this.used.add(i);
      return toDotted(this.base + i);
    }
    throw new Error('address pool exhausted');
  }

  /** How many addresses are still free. */
  free(): number {
    return Math.max(0, this.size - 4 - this.used.size);
  }

  /** Returns an address to the pool. */
  give(address: string): void {
    const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    this.used.delete(n - this.base);
  }
}

function toDotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}
