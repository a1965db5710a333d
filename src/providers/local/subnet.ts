/** IPv4 subnet arithmetic for the node bridge: pure functions, no I/O. */

/** An IPv4 subnet in CIDR form. */
export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
  /** Canonical text, e.g. `10.77.0.0/24`. */
  cidr: string;
}

/** Parses dotted IPv4 text into a number; undefined when malformed. */
export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Formats a 32-bit number as dotted IPv4 text. */
export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * Parses `a.b.c.d/len` (host bits are cleared). Throws an Error whose message says what is wrong;
 * prefixes longer than /30 leave no room for a gateway and a node.
 */
export function parseSubnet(text: string): Subnet {
  const match = /^\s*([\d.]+)\/(\d{1,2})\s*$/.exec(text);
  const address = match ? ipToNumber(match[1]!) : undefined;
  const prefix = match ? Number(match[2]) : Number.NaN;
  if (address === undefined || !(prefix >= 8 && prefix <= 30)) {
    throw new Error(
      `"${text}" is not an IPv4 subnet in CIDR form with a prefix from /8 to /30 (e.g. 10.77.0.0/24)`,
    );
  }
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  return { network, prefix, cidr: `${numberToIp(network)}/${prefix}` };
}

/**
 * Parses any IPv4 network or address as the host reports it (`a.b.c.d/len` with a prefix from 0 to
 * 32, or a bare address as a /32), for overlap checks; undefined when it is not IPv4.
 */
export function parseHostNetwork(text: string, prefixLength?: number): Subnet | undefined {
  const [address, written] = text === 'default' ? ['0.0.0.0', '0'] : text.split('/');
  const n = ipToNumber(address ?? '');
  const prefix = prefixLength ?? (written === undefined ? 32 : Number(written));
  if (n === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const network = n - (n % size);
  return { network, prefix, cidr: `${numberToIp(network)}/${prefix}` };
}

/** The bridge's own address: the subnet's first host address. */
export function gatewayOf(subnet: Subnet): string {
  return numberToIp(subnet.network + 1);
}

/** Whether `ip` lies inside `subnet`. */
export function subnetContains(subnet: Subnet, ip: string): boolean {
  const n = ipToNumber(ip);
  return n !== undefined && n >= subnet.network && n < subnet.network + 2 ** (32 - subnet.prefix);
}

/** Whether two subnets overlap. */
export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  const aEnd = a.network + 2 ** (32 - a.prefix);
  const bEnd = b.network + 2 ** (32 - b.prefix);
  return a.network < bEnd && b.network < aEnd;
}

/**
 * The address for a node: `preferred` when it is a free node address of the subnet, else the
 * lowest free one after the gateway; undefined when the subnet is full.
 */
export function allocateAddress(
  subnet: Subnet,
  taken: ReadonlySet<string>,
  preferred?: string,
): string | undefined {
  const first = subnet.network + 2;
  const last = subnet.network + 2 ** (32 - subnet.prefix) - 2; // before broadcast
  if (preferred !== undefined && !taken.has(preferred)) {
    const n = ipToNumber(preferred);
    if (n !== undefined && n >= first && n <= last) return preferred;
  }
  for (let n = first; n <= last; n++) {
    const ip = numberToIp(n);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/** Whether an address is IPv4 or IPv6 loopback (a stub resolver nodes cannot reach). */
export function isLoopbackAddress(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}
