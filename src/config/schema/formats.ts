/**
 * The string formats the config schemas use (`format: 'ipv4-cidr'`). A module of its own because
 * the validators precompiled at build time import it at run time, as ajv's compiler does at compile
 * time: both check a format with the very same function.
 */
import type { FormatDefinition } from 'ajv';

/** True for an IPv4 network in CIDR notation with a prefix from /8 to /30 (a usable node bridge). */
export function isIpv4Cidr(text: string): boolean {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  return octets.every((o) => o <= 255) && prefix >= 8 && prefix <= 30;
}

/**
 * True for an IPv4 network as `isIpv4Cidr` accepts it that lies wholly inside a private range of
 * RFC 1918 (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): a node bridge on a public or reserved
 * range would take those addresses (somebody's servers, a carrier's NAT) away from this host.
 */
export function isPrivateIpv4Cidr(text: string): boolean {
  if (!isIpv4Cidr(text)) return false;
  const [a, b] = text.split('.').map(Number) as [number, number];
  const prefix = Number(text.split('/')[1]);
  return (
    a === 10 || (a === 172 && b >= 16 && b <= 31 && prefix >= 12) || (a === 192 && b === 168 && prefix >= 16)
  );
}

/** True for an http:// or https:// URL with a host. */
export function isHttpUrl(text: string): boolean {
  return /^https?:\/\/[^\s/]+\S*$/.test(text);
}

/** Every format a config schema may name, by name, in the shape ajv's `addFormat` takes. */
export const formats = {
  'ipv4-cidr': { type: 'string', validate: isIpv4Cidr },
  'private-ipv4-cidr': { type: 'string', validate: isPrivateIpv4Cidr },
  'http-url': { type: 'string', validate: isHttpUrl },
} as const satisfies Record<string, FormatDefinition<string>>;
