/** Nova servers as herd node statuses. */
import type { NodeLifecycle } from '../../state/types.js';
import type { NodeStatus } from '../types.js';
import { META } from './identity.js';
import type { NovaServer } from './nova.js';

/** Server status (and task state) to herd's lifecycle. */
export function lifecycleOf(server: Pick<NovaServer, 'status' | 'OS-EXT-STS:task_state'>): NodeLifecycle {
  if (server['OS-EXT-STS:task_state'] === 'deleting') return 'stopping';
  switch (server.status) {
    case 'BUILD':
    case 'REBUILD':
    case 'REBOOT':
    case 'HARD_REBOOT':
      return 'pending';
    case 'ACTIVE':
    case 'PASSWORD':
    case 'MIGRATING':
    case 'RESIZE':
    case 'VERIFY_RESIZE':
    case 'REVERT_RESIZE':
      return 'running';
    case 'SHUTOFF':
    case 'STOPPED':
    case 'SUSPENDED':
    case 'PAUSED':
    case 'SHELVED':
    case 'SHELVED_OFFLOADED':
      return 'stopped';
    case 'ERROR':
      return 'error';
    case 'DELETED':
    case 'SOFT_DELETED':
      return 'terminated';
    default:
      return 'unknown';
  }
}

/** True when Nova has placed the server on a host (or given up): a scheduling fault shows by now. */
export function isScheduled(server: NovaServer | undefined): boolean {
  if (!server) return true;
  if (server.status !== 'BUILD') return true;
  const task = server['OS-EXT-STS:task_state'];
  return task !== undefined && task !== null && task !== 'scheduling';
}

/** Fixed (private) and floating (public) addresses of a server. */
export function addressesOf(server: NovaServer): { privateIps: string[]; publicIps: string[] } {
  const all = Object.values(server.addresses ?? {}).flat();
  const floating = (a: (typeof all)[number]) => a['OS-EXT-IPS:type'] === 'floating';
  return {
    privateIps: [...new Set(all.filter((a) => !floating(a)).map((a) => a.addr))],
    publicIps: [...new Set(all.filter(floating).map((a) => a.addr))],
  };
}

/** A listed server as a NodeStatus; `extraPublic` adds floating IPs Nova does not show yet. */
export function statusOf(server: NovaServer, extraPublic: readonly string[] = []): NodeStatus {
  const { privateIps, publicIps } = addressesOf(server);
  const flavor = server.flavor?.original_name ?? server.flavor?.id;
  const fault = server.fault?.message;
  return {
    instanceId: server.id,
    name: server.metadata?.[META.node],
    state: lifecycleOf(server),
    privateIps,
    publicIps: [...new Set([...publicIps, ...extraPublic])],
    ...(flavor ? { flavor } : {}),
    ...(server.status === 'ERROR' && fault ? { reason: fault } : {}),
  };
}

/** A status for a server Nova no longer has. */
export function goneStatus(instanceId: string): NodeStatus {
  return { instanceId, name: undefined, state: 'terminated', publicIps: [], privateIps: [] };
}
