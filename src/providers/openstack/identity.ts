/**
 * The cluster's identity on OpenStack, in one place: what herd writes on every resource it creates
 * (server metadata and tags, Neutron tags and descriptions, the names of key pairs and server groups,
 * which carry neither) and the one test that decides "this resource is ours".
 *
 * A cluster is known by its name and the random id it got at creation (ClusterRef). A resource is
 * ours when it carries the name and exactly the cluster's id (ownsResource): a cluster of the same
 * name in another storage directory never adopts or deletes ours, nor we its. A cluster from before
 * ids owns only resources that carry its name and no id.
 */
import { createHash } from 'node:crypto';
import { CLUSTER_ID } from '../../state/names.js';
import { ownsResource, resourceNameOf } from '../identity.js';
import type { ClusterRef } from '../types.js';

/** Server metadata keys herd writes (values are at most 255 characters, names are at most 60). */
export const META = {
  cluster: 'herd_cluster',
  clusterId: 'herd_cluster_id',
  kind: 'herd_kind',
  node: 'herd_node',
  run: 'herd_run',
} as const;

/** Nova and Neutron tags: at most 60 characters (the older Neutron limit), no "/" or ",". */
const MAX_TAG = 60;

function fitTag(prefix: string, value: string): string {
  const tag = `${prefix}${value}`;
  if (tag.length <= MAX_TAG && !/[/,]/.test(value)) return tag;
  const hash = createHash('sha256').update(value).digest('hex').slice(0, 12);
  const keep = value.replace(/[/,]/g, '_').slice(0, MAX_TAG - prefix.length - 13);
  return `${prefix}${keep}~${hash}`;
}

/** The tag every resource of the cluster carries; lists are filtered by it. */
export function clusterTag(cluster: ClusterRef): string {
  return fitTag('herd:cluster=', cluster.name);
}

/** Tags for a resource of the cluster. */
export function clusterTags(cluster: ClusterRef): string[] {
  return [clusterTag(cluster), ...(cluster.id ? [fitTag('herd:id=', cluster.id)] : [])];
}

/** The tag of a floating IP that names the server it was allocated for. */
export function serverTag(serverId: string): string {
  return fitTag('herd:server=', serverId);
}

/** The server id a floating IP's tags name, if any. */
export function serverOfTags(tags: readonly string[] | undefined): string | undefined {
  const tag = (tags ?? []).find((t) => t.startsWith('herd:server='));
  return tag?.slice('herd:server='.length);
}

/** Metadata of a server herd creates. */
export function serverMetadata(
  cluster: ClusterRef,
  node: { kind: string; name: string; runId: string },
): Record<string, string> {
  return {
    [META.cluster]: cluster.name,
    ...(cluster.id ? { [META.clusterId]: cluster.id } : {}),
    [META.kind]: node.kind,
    [META.node]: node.name,
    [META.run]: node.runId,
  };
}

/** True when server metadata says the server belongs to `cluster`. */
export function isOwnServer(
  cluster: ClusterRef,
  metadata: Readonly<Record<string, string>> | undefined,
): boolean {
  if (metadata?.[META.cluster] !== cluster.name) return false;
  return ownsResource(cluster, metadata[META.clusterId]);
}

/** The cluster id a server's metadata names, for warnings about servers that are not ours. */
export function clusterIdOf(metadata: Readonly<Record<string, string>> | undefined): string | undefined {
  return metadata?.[META.clusterId];
}

/** The description herd gives the Neutron resources it creates; `isOwnTagged` reads it back. */
export function ownerDescription(cluster: ClusterRef, what: string): string {
  return `herd cluster ${cluster.name}${cluster.id ? ` (id ${cluster.id})` : ''}: ${what}`;
}

/**
 * True when a tagged resource (security group, floating IP) belongs to `cluster`: its tags name the
 * cluster, or (when a crash came between creating it and tagging it) its description does.
 */
export function isOwnTagged(
  cluster: ClusterRef,
  resource: { tags?: readonly string[] | undefined; description?: string | undefined | null },
): boolean {
  const tags = resource.tags ?? [];
  if (tags.includes(clusterTag(cluster))) {
    // Ids are 8 hex digits: a tag holds them whole.
    const idTag = tags.find((t) => t.startsWith('herd:id='));
    return ownsResource(cluster, idTag?.slice('herd:id='.length));
  }
  const match = /^herd cluster (\S+)(?: \(id (\S+)\))?: /.exec(resource.description ?? '');
  return match?.[1] === cluster.name && ownsResource(cluster, match[2]);
}

/** Key pairs carry no tags: herd's own pair is known by its name, `herd-<cluster>-<id>`. */
export function keyPairName(cluster: ClusterRef): string {
  return resourceNameOf(cluster);
}

/** Name of the security group herd creates when `security_group` is not set: `herd-<cluster>-<id>`. */
export function securityGroupName(cluster: ClusterRef): string {
  return resourceNameOf(cluster);
}

/**
 * Server groups carry no tags either: `herd-<cluster>-<id>-<kind>.<n>` (n counts the groups of a
 * kind, a new one starting when the previous one has no room left).
 */
export function serverGroupName(cluster: ClusterRef, kind: string, index: number): string {
  return `${resourceNameOf(cluster)}-${kind}.${index}`;
}

/** The kind and index of one of the cluster's server groups, or undefined for any other name. */
export function parseServerGroupName(
  cluster: ClusterRef,
  name: string,
): { kind: string; index: number } | undefined {
  const prefix = `${resourceNameOf(cluster)}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  // `herd-<cluster>-<kind>.<n>` of a cluster from before ids also starts every group of a cluster of
  // that name with an id: those are not its own.
  if (cluster.id === undefined && CLUSTER_ID.test(rest.slice(0, 8)) && rest[8] === '-') return undefined;
  const match = /^(.+)\.(\d+)$/.exec(rest);
  return match ? { kind: match[1]!, index: Number(match[2]) } : undefined;
}
