/**
 * herd's own known_hosts per cluster. Lines are keyed by node name, not by IP, and every
 * connection passes `HostKeyAlias=<node name>`: a cloud that hands a node's old IP to a new
 * machine then never causes a stale-key mismatch, and a changed key on the same node is refused.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writePrivateFileAtomic } from './write-private-file.js';

/** A node with its pinned host key, as needed for one known_hosts line. */
export interface PinnedHost {
  /** Node name, used as the known_hosts host pattern (matches `HostKeyAlias=<name>`). */
  name: string;
  /** `<type> <base64>`; nodes without one are skipped. */
  hostKey?: string | undefined;
}

/** Formats an SSH wire-format public key (as ssh2's hostVerifier receives it) as `<type> <base64>`. */
export function formatHostKey(wireKey: Buffer): string {
  const typeLength = wireKey.length >= 4 ? wireKey.readUInt32BE(0) : 0;
  const type = wireKey.subarray(4, 4 + typeLength).toString('latin1');
  return `${type} ${wireKey.toString('base64')}`;
}

/** Splits `<type> <base64> [comment]` into its type and base64 parts. */
export function parseHostKey(line: string): { type: string; base64: string } | undefined {
  const [type, base64] = line.trim().split(/\s+/);
  if (!type || !base64) return undefined;
  return { type, base64 };
}

/** True when two `<type> <base64>` keys are the same key (comments ignored). */
export function sameHostKey(a: string, b: string): boolean {
  const pa = parseHostKey(a);
  const pb = parseHostKey(b);
  return pa !== undefined && pb !== undefined && pa.type === pb.type && pa.base64 === pb.base64;
}

/** known_hosts text: one `<node> <type> <base64>` line per node that has a pinned key. */
export function renderKnownHosts(hosts: readonly PinnedHost[]): string {
  const lines: string[] = [];
  for (const host of hosts) {
    const key = host.hostKey === undefined ? undefined : parseHostKey(host.hostKey);
    if (key) lines.push(`${host.name} ${key.type} ${key.base64}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Writes the cluster's known_hosts atomically with mode 0600. */
export async function writeKnownHosts(path: string, hosts: readonly PinnedHost[]): Promise<void> {
  await writePrivateFileAtomic(path, renderKnownHosts(hosts));
}

/**
 * The keys a known_hosts text pins for `alias` (the `HostKeyAlias` herd passes OpenSSH: the node
 * name), as `<type> <base64>`: what `herd ssh` accepts, so that ssh2 connections accept the same.
 * Host patterns may be plain or hashed (`|1|salt|hash`), negated with `!`; a wildcard pattern never
 * matches here (refusing a key OpenSSH might take, never the reverse). A `@revoked` line for the
 * alias revokes its key; a `@cert-authority` line pins nothing.
 */
export function knownHostKeys(text: string, alias: string): string[] {
  const keys: string[] = [];
  const revoked: string[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    const [patterns, type, base64] = fields;
    if (!patterns || !type || !base64 || !hostPatternsMatch(patterns, alias)) continue;
    if (marker === '@revoked') revoked.push(`${type} ${base64}`);
    else if (marker === undefined) keys.push(`${type} ${base64}`);
  }
  return keys.filter((k) => !revoked.some((r) => sameHostKey(k, r)));
}

function hostPatternsMatch(patterns: string, alias: string): boolean {
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!patternMatches(body, alias)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, alias: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [salt, hash] = pattern.slice(3).split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(alias).digest('base64');
    return digest === hash;
  }
  return pattern === alias;
}

/** The cluster's known_hosts text; empty when the file does not exist (nothing is pinned). */
export async function readKnownHosts(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}
