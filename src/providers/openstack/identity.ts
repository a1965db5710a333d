/**
 * The cluster's identity on OpenStack, in one place: what herd writes on every resource it creates
 * (server metadata and tags, Neutron tags and descriptions, the names of key pairs and server groups,
 * which carry neither) and the one test that decides "this resource is ours".
 *
 * A cluster is known by its name and, once clusters carry one, a random id. The id is written when
 * given; a resource that carries an id must carry this cluster's id to be ours (a later cluster of the
 * same name never adopts or deletes an earlier one's leftovers), one written before ids existed is
 * judged by the name alone.
 */
import { createHash } from 'node:crypto';

/** Who a resource belongs to. */
export interface ClusterIdentity {
  name: string;
  id?: string | undefined;
}

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
export function clusterTag(cluster: ClusterIdentity): string {
  return fitTag('herd:cluster=', cluster.name);
}

/** Tags for a resource of the cluster. */
export function clusterTags(cluster: ClusterIdentity): string[] {
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
  cluster: ClusterIdentity,
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
  cluster: ClusterIdentity,
  metadata: Readonly<Record<string, string>> | undefined,
): boolean {
  if (metadata?.[META.cluster] !== cluster.name) return false;
  return idMatches(cluster, metadata[META.clusterId]);
}

/** The description herd gives the Neutron resources it creates; `isOwnTagged` reads it back. */
export function ownerDescription(cluster: ClusterIdentity, what: string): string {
  return `herd cluster ${cluster.name}${cluster.id ? ` (id ${cluster.id})` : ''}: ${what}`;
}

/**
 * True when a tagged resource (security group, floating IP) belongs to `cluster`: its tags name the
 * cluster, or (when a crash came between creating it and tagging it) its description does.
 */
export function isOwnTagged(
  cluster: ClusterIdentity,
  resource: { tags?: readonly string[] | undefined; description?: string | undefined | null },
): boolean {
  const tags = resource.tags ?? [];
  if (tags.includes(clusterTag(cluster))) {
    const idTag = tags.find((t) => t.startsWith('herd:id='));
    return idMatches(cluster, idTag?.slice('herd:id='.length), true);
  }
  const match = /^herd cluster (\S+)(?: \(id (\S+)\))?: /.exec(resource.description ?? '');
  return match?.[1] === cluster.name && idMatches(cluster, match[2]);
}

function idMatches(cluster: ClusterIdentity, written: string | undefined, tagged = false): boolean {
  if (written === undefined || cluster.id === undefined) return true;
  return tagged
    ? written === fitTag('herd:id=', cluster.id).slice('herd:id='.length)
    : written === cluster.id;
}

/** Key pairs carry no tags: herd's own pair is known by its name. */
export function keyPairName(cluster: ClusterIdentity): string {
  return `herd-${cluster.name}`;
}

/** Name of the security group herd creates when `security_group` is not set. */
export function securityGroupName(cluster: ClusterIdentity): string {
  return `herd-${cluster.name}`;
}

/**
 * Server groups carry no tags either: `herd-<cluster>-<kind>.<n>` (n counts the groups of a kind, a
 * new one starting when the previous one has no room left).
 */
export function serverGroupName(cluster: ClusterIdentity, kind: string, index: number): string {
  return `herd-${cluster.name}-${kind}.${index}`;
}

/** The kind and index of one of the cluster's server groups, or undefined for any other name. */
export function parseServerGroupName(
  cluster: ClusterIdentity,
  name: string,
): { kind: string; index: number } | undefined {
  const prefix = `herd-${cluster.name}-`;
  if (!name.startsWith(prefix)) return undefined;
  const match = /^(.+)\.(\d+)$/.exec(name.slice(prefix.length));
  return match ? { kind: match[1]!, index: Number(match[2]) } : undefined;
}
