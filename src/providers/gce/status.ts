/** GCE instances as herd node statuses. */
import type { NodeLifecycle } from '../../state/types.js';
import type { NodeStatus } from '../types.js';
import type { GceInstance } from './api.js';
import { instanceIdOf, nodeNameOf } from './labels.js';

/**
 * Instance.status to herd's lifecycle. GCE's TERMINATED means stopped (the disk is kept); an
 * instance that is gone does not appear at all and is reported `terminated` by the caller.
 */
export function lifecycleOf(status: string | undefined): NodeLifecycle {
  switch (status) {
    case 'PROVISIONING':
    case 'STAGING':
    case 'REPAIRING':
      return 'pending';
    case 'RUNNING':
      return 'running';
    case 'STOPPING':
    case 'SUSPENDING':
    case 'PENDING_STOP':
      return 'stopping';
    case 'TERMINATED':
    case 'SUSPENDED':
    case 'STOPPED':
      return 'stopped';
    default:
      return 'unknown';
  }
}

/** The last segment of a resource URL (`.../zones/us-central1-a` -> `us-central1-a`). */
export function lastSegment(url: string | undefined): string | undefined {
  return url?.split('/').pop() || undefined;
}

/** A listed instance as a NodeStatus; `zone` is the zone it was listed in. */
export function statusOf(instance: GceInstance, zone: string): NodeStatus {
  const nics = instance.networkInterfaces ?? [];
  const flavor = lastSegment(instance.machineType);
  return {
    instanceId: instanceIdOf(zone, instance.name),
    name: nodeNameOf(instance.name, instance.labels ?? {}),
    state: lifecycleOf(instance.status),
    privateIps: nics.flatMap((n) => (n.networkIP ? [n.networkIP] : [])),
    publicIps: nics.flatMap((n) => (n.accessConfigs ?? []).flatMap((a) => (a.natIP ? [a.natIP] : []))),
    ...(flavor ? { flavor } : {}),
    ...(instance.statusMessage ? { reason: instance.statusMessage } : {}),
  };
}

/** A status for an instance GCE no longer has. */
export function goneStatus(instanceId: string): NodeStatus {
  return { instanceId, name: undefined, state: 'terminated', publicIps: [], privateIps: [] };
}
