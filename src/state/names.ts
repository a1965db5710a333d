/** Cluster names (they become file names in the storage dir), cluster ids and the node names clouds see. */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';

/** Longest cluster name: leaves room for `-<kind>NNN` inside a 63-character host name label. */
export const MAX_CLUSTER_NAME_LENGTH = 60;

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Throws a UsageError (exit 2) unless `name` is a valid cluster name: letters, digits, `.`, `_`
 * and `-`, starting with a letter or digit, at most 60 characters. The name becomes a file name
 * in the storage dir, so this check is also what keeps `../x` out of it.
 */
export function validateClusterName(name: string): void {
  const problem = describeProblem(name);
  if (problem === undefined) return;
  throw new UsageError(`Invalid cluster name "${name}": ${problem}.`, {
    hint: 'Use letters, digits, ".", "_" and "-", starting with a letter or digit, e.g. "slurm-1".',
  });
}

function describeProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_CLUSTER_NAME_LENGTH) {
    return `it has ${name.length} characters, the limit is ${MAX_CLUSTER_NAME_LENGTH}`;
  }
  if (!/^[A-Za-z0-9]/.test(name)) return `it starts with "${name[0]}" instead of a letter or digit`;
  if (!CLUSTER_NAME.test(name)) {
    const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c))!;
    return `it contains ${JSON.stringify(bad)}, which is not a letter, digit, ".", "_" or "-"`;
  }
  return undefined;
}

/** A cluster id: 8 lowercase hex digits (valid in tags, GCE labels, instance and machine names). */
export const CLUSTER_ID = /^[0-9a-f]{8}$/;

/** A new random cluster id. */
export function newClusterId(): string {
  return randomBytes(4).toString('hex');
}

/** Longest host name label (RFC 1123). */
const MAX_LABEL = 63;

/**
 * The name a node gets on the cloud: `<cluster>-<id>-<node>` (`<cluster>-<node>` for a cluster from
 * before ids), lowercased, with `_` and `.` turned into `-`, at most 63 characters. The id keeps two
 * clusters of one name apart (instance names are unique per GCE zone, machine names per host). When
 * too long, the cluster part is shortened, never the id or node part, so two nodes of one cluster
 * never get the same cloud name.
 */
export function cloudNameFor(cluster: string, node: string, id?: string): string {
  const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const suffix = id === undefined ? safe(node) : `${id}-${safe(node)}`;
  const tail = suffix.slice(0, MAX_LABEL - 2);
  const clusterPart = safe(cluster)
    .slice(0, MAX_LABEL - tail.length - 1)
    .replace(/-+$/, '');
  return `${clusterPart}-${tail}`;
}
