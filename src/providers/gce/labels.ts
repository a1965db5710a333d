/**
 * What herd writes on every GCE instance so that it can find it again: labels (`herd-cluster`,
 * `herd-cluster-id`, `herd-kind`, `herd-run`), the instance name rules and the idempotency token of
 * a bulkInsert. An instance is the cluster's when it carries its name and exactly its id (isOurs).
 *
 * GCE label values allow only lowercase letters, digits, `_` and `-` (at most 63), while cluster and
 * kind names may hold uppercase letters and `.`. The encoding below is reversible: `_` escapes,
 * `_x` is `X`, `__` is `_`, `_-` is `.`. A name whose encoding exceeds 63 characters is shortened
 * with a hash after the marker `_0` (never produced by the reversible form); the exact cluster
 * name is then still in the instance metadata `herd-cluster`.
 */
import { createHash } from 'node:crypto';
import { ownsResource } from '../identity.js';
import type { ClusterRef } from '../types.js';

/** Label keys herd sets. */
export const LABEL = {
  cluster: 'herd-cluster',
  /** The cluster id: 8 lowercase hex digits, a valid label value as is. Absent for clusters from before ids. */
  clusterId: 'herd-cluster-id',
  kind: 'herd-kind',
  run: 'herd-run',
} as const;

const MAX_LABEL_VALUE = 63;

/** Encodes a cluster or kind name as a GCE label value (see the module comment). */
export function encodeLabelValue(name: string): string {
  const tokens = [...name].map((c) => {
    if (/[a-z0-9-]/.test(c)) return c;
    if (/[A-Z]/.test(c)) return `_${c.toLowerCase()}`;
    if (c === '_') return '__';
    if (c === '.') return '_-';
    // Not a character of cluster or kind names; keep the value valid and unique anyway.
    return `_${c.codePointAt(0)!.toString(16)}`;
  });
  const encoded = tokens.join('');
  if (encoded.length <= MAX_LABEL_VALUE) return encoded;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  let prefix = '';
  for (const t of tokens) {
    if (prefix.length + t.length > MAX_LABEL_VALUE - 10) break;
    prefix += t;
  }
  return `${prefix}_0${hash}`;
}

/** The name a label value stands for, or undefined when it is a shortened (hashed) value. */
export function decodeLabelValue(value: string): string | undefined {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    const next = value[++i];
    if (next === undefined || /[0-9]/.test(next)) return undefined;
    if (next === '_') out += '_';
    else if (next === '-') out += '.';
    else out += next.toUpperCase();
  }
  return out;
}

/** Labels common to every instance of one bulkInsert: the cluster's name and id, kind and run. */
export function instanceLabels(cluster: ClusterRef, kind: string, runId: string): Record<string, string> {
  return {
    [LABEL.cluster]: encodeLabelValue(cluster.name),
    ...(cluster.id === undefined ? {} : { [LABEL.clusterId]: cluster.id }),
    [LABEL.kind]: encodeLabelValue(kind),
    [LABEL.run]: encodeLabelValue(runId),
  };
}

/** Whether an instance with these labels is the cluster's: its name and exactly its id. */
export function isOurs(labels: Readonly<Record<string, string>> | undefined, cluster: ClusterRef): boolean {
  return (
    labels?.[LABEL.cluster] === encodeLabelValue(cluster.name) &&
    ownsResource(cluster, labels[LABEL.clusterId])
  );
}

/**
 * `instances.list` filter for every instance carrying the cluster's name (optionally of one run and
 * kind); which of them are the cluster's is isOurs's decision, so that the others can be named.
 */
export function labelFilter(cluster: ClusterRef, run?: { runId: string; kind: string }): string {
  const parts = [`(labels.${LABEL.cluster} = "${encodeLabelValue(cluster.name)}")`];
  if (run) {
    parts.push(`(labels.${LABEL.kind} = "${encodeLabelValue(run.kind)}")`);
    parts.push(`(labels.${LABEL.run} = "${encodeLabelValue(run.runId)}")`);
  }
  return parts.join(' ');
}

const INSTANCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Why `name` cannot be a GCE instance name, or undefined when it can. */
export function instanceNameProblem(name: string): string | undefined {
  if (name.length > 63) return `it has ${name.length} characters, GCE allows 63`;
  if (!/^[a-z]/.test(name)) return 'GCE instance names start with a lowercase letter';
  if (!INSTANCE_NAME.test(name)) {
    return 'GCE instance names hold lowercase letters, digits and "-", and do not end with "-"';
  }
  return undefined;
}

/**
 * herd's node name of an instance: the kind from the `herd-kind` label plus the number the
 * instance name ends with (`slurm-compute003` with kind `Compute` -> `Compute003`). Undefined when
 * the instance name does not end with that node name, as for instances herd did not create.
 */
export function nodeNameOf(
  instanceName: string,
  labels: Readonly<Record<string, string>>,
): string | undefined {
  const kindLabel = labels[LABEL.kind];
  const kind = kindLabel === undefined ? undefined : decodeLabelValue(kindLabel);
  const digits = /(\d+)$/.exec(instanceName)?.[1];
  if (!kind || !digits) return undefined;
  const node = `${kind}${digits}`;
  const safe = node.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return instanceName.endsWith(`-${safe}`) ? node : undefined;
}

/**
 * The `requestId` of a bulkInsert: a UUID (version 5 layout) derived from cluster, run, kind and
 * zone, so that a retried request of the same run is recognised by GCE instead of creating twice.
 */
export function bulkInsertRequestId(cluster: ClusterRef, runId: string, kind: string, zone: string): string {
  const key = `herd\0${cluster.name}\0${cluster.id ?? ''}\0${runId}\0${kind}\0${zone}`;
  const bytes = createHash('sha256').update(key).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** herd's instance id for a GCE instance: `zone/name` (names are unique per zone only). */
export function instanceIdOf(zone: string, name: string): string {
  return `${zone}/${name}`;
}

/** Zone and name of an instance id; a bare name (no zone) comes back with zone undefined. */
export function parseInstanceId(id: string): { zone: string | undefined; name: string } {
  const slash = id.indexOf('/');
  return slash < 0 ? { zone: undefined, name: id } : { zone: id.slice(0, slash), name: id.slice(slash + 1) };
}
