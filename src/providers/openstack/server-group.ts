/**
 * `use_anti_affinity_groups`: the servers of a kind go into an anti-affinity server group
 * `herd-<cluster>-<kind>.<n>`, so no two share a host. A group is full when Nova finds no host for
 * one more member ("No valid host"); the next servers of the kind then start a new group. Server
 * groups carry no tags, so herd knows its own by name, and deletes at stop only those left empty.
 */

import type { ClusterRef } from '../types.js';
import { OpenStackApiError } from './api-error.js';
import { parseServerGroupName, serverGroupName } from './identity.js';
import { atLeast, type Nova, type NovaServerGroup } from './nova.js';

/** Finds or creates group `index` of a kind; `fresh` when it has no members yet. */
export async function ensureServerGroup(
  nova: Nova,
  cluster: ClusterRef,
  kind: string,
  index: number,
  signal?: AbortSignal,
): Promise<{ id: string; fresh: boolean }> {
  const name = serverGroupName(cluster, kind, index);
  const existing = (await listServerGroups(nova, signal)).find((g) => g.name === name);
  if (existing) return { id: existing.id, fresh: (existing.members ?? []).length === 0 };
  const modern = atLeast(await nova.microversion(signal), '2.64');
  const body = await nova.call<{ server_group: NovaServerGroup }>('POST', '/os-server-groups', {
    body: {
      server_group: modern ? { name, policy: 'anti-affinity' } : { name, policies: ['anti-affinity'] },
    },
    signal,
  });
  return { id: body.server_group.id, fresh: true };
}

/** The highest group index a kind already has (0 = none). */
export async function lastServerGroupIndex(
  nova: Nova,
  cluster: ClusterRef,
  kind: string,
  signal?: AbortSignal,
): Promise<number> {
  let last = 0;
  for (const group of await listServerGroups(nova, signal)) {
    const parsed = parseServerGroupName(cluster, group.name);
    if (parsed?.kind === kind && parsed.index > last) last = parsed.index;
  }
  return last;
}

async function listServerGroups(nova: Nova, signal?: AbortSignal): Promise<NovaServerGroup[]> {
  const body = await nova.call<{ server_groups: NovaServerGroup[] }>('GET', '/os-server-groups', { signal });
  return body.server_groups ?? [];
}

/** Deletes the cluster's empty server groups; returns their names. */
export async function deleteClusterServerGroups(nova: Nova, cluster: ClusterRef): Promise<string[]> {
  const deleted: string[] = [];
  for (const group of await listServerGroups(nova)) {
    if (!parseServerGroupName(cluster, group.name) || (group.members ?? []).length > 0) continue;
    try {
      await nova.call('DELETE', `/os-server-groups/${group.id}`);
      deleted.push(group.name);
    } catch (error) {
      if (!(error instanceof OpenStackApiError && error.status === 404)) throw error;
    }
  }
  return deleted;
}
