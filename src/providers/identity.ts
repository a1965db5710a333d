/**
 * Whether a cloud resource belongs to a cluster, decided the same way on every cloud: the resource
 * carries the cluster's name (the caller filtered on it) and exactly the cluster's id. A cluster
 * from before ids (id undefined) owns only resources without any id, so neither kind of cluster
 * ever takes the other's resources.
 */
import type { Logger } from '../log.js';
import type { ClusterRef } from './types.js';

/** True when a resource carrying `ref.name` and the cluster id `taggedId` (undefined: none) is the cluster's. */
export function ownsResource(ref: ClusterRef, taggedId: string | undefined): boolean {
  return ref.id === undefined ? taggedId === undefined || taggedId === '' : taggedId === ref.id;
}

/**
 * The name herd gives what it creates once per cluster (key pairs, security groups): `herd-<cluster>-<id>`,
 * or `herd-<cluster>` for a cluster from before ids. The id keeps two clusters of one name apart.
 */
export function resourceNameOf(cluster: ClusterRef): string {
  return cluster.id === undefined ? `herd-${cluster.name}` : `herd-${cluster.name}-${cluster.id}`;
}

/** `cluster "slurm" (id 1a2b3c4d)`, for messages. */
export function describeCluster(ref: ClusterRef): string {
  return ref.id === undefined ? `cluster "${ref.name}"` : `cluster "${ref.name}" (id ${ref.id})`;
}

/**
 * Warns, once per resource and provider instance, about resources that carry the cluster's name but
 * belong to another herd cluster (another storage directory, or a cluster of the same name started
 * after this one was stopped and forgotten).
 */
export class ForeignResources {
  private readonly warned = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** `items`: one `<resource> (<id tag>)` description each, e.g. `i-0abc (slurm-compute001, cluster id 9f8e7d6c)`. */
  report(ref: ClusterRef, what: string, items: readonly { key: string; text: string }[]): void {
    const fresh = items.filter((i) => !this.warned.has(i.key));
    if (fresh.length === 0) return;
    for (const i of fresh) this.warned.add(i.key);
    this.log.warn(
      `${fresh.length} ${what} carry the name of ${describeCluster(ref)} but belong to another herd cluster (another storage directory, or an earlier cluster of that name); herd leaves them alone: ${fresh.map((i) => i.text).join(', ')}.`,
    );
  }
}
