/**
 * herd's tags on EC2 resources, and the compact list of node names that RunInstances puts on every
 * instance of a batch, so that an instance whose per-node tags never got written (a crash right after
 * RunInstances) is still mapped to its node through its AmiLaunchIndex.
 */
import type { Tag } from '@aws-sdk/client-ec2';
import { ownsResource } from '../identity.js';
import type { ClusterRef } from '../types.js';

/** Cluster name, on every resource herd creates (instances, volumes, groups, key pairs, addresses). */
export const TAG_CLUSTER = 'herd:cluster';
/** Cluster id, beside the name on every resource herd creates (absent for clusters from before ids). */
export const TAG_CLUSTER_ID = 'herd:cluster-id';
/** herd node name (`compute001`). */
export const TAG_NODE = 'herd:node';
/** Node kind (`compute`). */
export const TAG_KIND = 'herd:kind';
/** The start/resize run that created the instance. */
export const TAG_RUN = 'herd:run';
/** The batch's node names in launch order; longer lists continue in `herd:nodes:2`, `herd:nodes:3`, ... */
export const TAG_NODES = 'herd:nodes';
/** Seconds a spot instance may stay pending before herd gives up on it. */
export const TAG_SPOT_TIMEOUT = 'herd:spot-timeout';
/** On an Elastic IP: the instance it was allocated for. */
export const TAG_INSTANCE = 'herd:instance';

/** AWS limit on a tag value's length. */
const MAX_TAG_VALUE = 256;
/** AWS allows 50 tags per resource; herd's other tags and a few of the user's need room too. */
const MAX_NODE_LIST_TAGS = 40;

/** Tags as a plain object. */
export function tagMap(tags: readonly Tag[] | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) map[t.Key] = t.Value ?? '';
  return map;
}

/** Key of the `index`-th (0-based) node-list tag. */
function nodeListKey(index: number): string {
  return index === 0 ? TAG_NODES : `${TAG_NODES}:${index + 1}`;
}

/**
 * Encodes node names, in order, as tags of at most 256 characters. Runs of consecutive numbers are
 * written `compute001..100`; items are separated by spaces (characters every AWS service accepts).
 */
export function encodeNodeNames(names: readonly string[]): Tag[] {
  const items: string[] = [];
  let i = 0;
  while (i < names.length) {
    const match = /^(.*?)(\d+)$/.exec(names[i]!);
    let j = i;
    if (match) {
      const [, prefix, digits] = match as unknown as [string, string, string];
      const width = digits.length;
      const first = Number(digits);
      while (
        j + 1 < names.length &&
        names[j + 1] === `${prefix}${String(first + j + 1 - i).padStart(width, '0')}`
      )
        j++;
      if (j > i) items.push(`${prefix}${digits}..${String(first + j - i).padStart(width, '0')}`);
    }
    if (j === i) items.push(names[i]!);
    i = j + 1;
  }
  const chunks: string[] = [];
  for (const item of items) {
    const last = chunks.length - 1;
    if (last >= 0 && chunks[last]!.length + 1 + item.length <= MAX_TAG_VALUE) chunks[last] += ` ${item}`;
    else chunks.push(item);
  }
  if (chunks.length > MAX_NODE_LIST_TAGS) {
    throw new RangeError(`${names.length} node names do not fit in ${MAX_NODE_LIST_TAGS} tags`);
  }
  return chunks.map((value, index) => ({ Key: nodeListKey(index), Value: value }));
}

/** Decodes the node-name list tags of an instance (empty when it has none). */
export function decodeNodeNames(tags: Readonly<Record<string, string>>): string[] {
  const names: string[] = [];
  for (let index = 0; tags[nodeListKey(index)] !== undefined; index++) {
    for (const item of tags[nodeListKey(index)]!.split(' ')) {
      if (item === '') continue;
      const range = /^(.*?)(\d+)\.\.(\d+)$/.exec(item);
      if (!range) {
        names.push(item);
        continue;
      }
      const [, prefix, from, to] = range as unknown as [string, string, string, string];
      for (let n = Number(from); n <= Number(to); n++)
        names.push(`${prefix}${String(n).padStart(from.length, '0')}`);
    }
  }
  return names;
}

/** The herd node name of an instance: its `herd:node` tag, else its launch index in the batch's list. */
export function nodeNameOf(
  tags: Readonly<Record<string, string>>,
  amiLaunchIndex: number | undefined,
): string | undefined {
  const tagged = tags[TAG_NODE];
  if (tagged) return tagged;
  if (amiLaunchIndex === undefined) return undefined;
  return decodeNodeNames(tags)[amiLaunchIndex];
}

/** The tags that make a resource the cluster's: its name and id. Every resource herd creates gets them. */
export function clusterTags(cluster: ClusterRef, extra: Readonly<Record<string, string>> = {}): Tag[] {
  return [
    { Key: TAG_CLUSTER, Value: cluster.name },
    ...(cluster.id === undefined ? [] : [{ Key: TAG_CLUSTER_ID, Value: cluster.id }]),
    ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
  ];
}

/** The filter that finds every resource carrying the cluster's name (of this cluster or not: see isOurs). */
export function clusterNameFilter(cluster: ClusterRef): { Name: string; Values: string[] } {
  return { Name: `tag:${TAG_CLUSTER}`, Values: [cluster.name] };
}

/** Whether a resource with these tags is the cluster's: its name and exactly its id. */
export function isOurs(tags: readonly Tag[] | undefined, cluster: ClusterRef): boolean {
  const map = tagMap(tags);
  return map[TAG_CLUSTER] === cluster.name && ownsResource(cluster, map[TAG_CLUSTER_ID]);
}

/** For warnings: `<resource> (Name tag, cluster id ...)` of a resource that carries the name but is not ours. */
export function describeForeign(resource: string, tags: readonly Tag[] | undefined): string {
  const map = tagMap(tags);
  const id = map[TAG_CLUSTER_ID] === undefined ? 'no cluster id' : `cluster id ${map[TAG_CLUSTER_ID]}`;
  return `${resource} (${map['Name'] ? `${map['Name']}, ` : ''}${id})`;
}
