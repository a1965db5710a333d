/** EC2 instances as herd node statuses. */
import type { Instance } from '@aws-sdk/client-ec2';
import type { NodeLifecycle } from '../../state/types.js';
import type { NodeStatus } from '../types.js';
import { nodeNameOf, TAG_SPOT_TIMEOUT, tagMap } from './tags.js';

/**
 * EC2 state name -> lifecycle. `shutting-down` is `stopping`: the instance is on its way out but not
 * gone, so `stop --wait` keeps waiting (findNodes leaves it out, see `LIVE_STATES`).
 */
export function lifecycleOf(state: string | undefined): NodeLifecycle {
  switch (state) {
    case 'pending':
      return 'pending';
    case 'running':
      return 'running';
    case 'stopping':
    case 'shutting-down':
      return 'stopping';
    case 'stopped':
      return 'stopped';
    case 'terminated':
      return 'terminated';
    default:
      return 'unknown';
  }
}

/**
 * States of instances `findNodes` reports. Instances shutting down stay visible for a minute or more
 * on AWS; they are being terminated already, and `stop` must not count them as left over.
 */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;

/** Every private address of the instance, primary first. */
export function privateIpsOf(instance: Instance): string[] {
  const ips = [instance.PrivateIpAddress];
  for (const eni of instance.NetworkInterfaces ?? []) {
    for (const address of eni.PrivateIpAddresses ?? []) ips.push(address.PrivateIpAddress);
  }
  return [...new Set(ips.filter((ip): ip is string => !!ip))];
}

/** Why the instance is where it is, when EC2 says something worth showing. */
function reasonOf(instance: Instance): string | undefined {
  const reason = instance.StateReason;
  if (!reason?.Message || reason.Code === 'Client.UserInitiatedShutdown') return undefined;
  return `${reason.Code ? `${reason.Code}: ` : ''}${reason.Message}`;
}

/** The status of one instance; `now` decides whether a pending spot instance has timed out. */
export function statusOf(instance: Instance, now: number = Date.now()): NodeStatus {
  const tags = tagMap(instance.Tags);
  let state = lifecycleOf(instance.State?.Name);
  let reason = state === 'running' || state === 'pending' ? undefined : reasonOf(instance);
  const timeout = Number(tags[TAG_SPOT_TIMEOUT]);
  const launched = instance.LaunchTime ? new Date(instance.LaunchTime).getTime() : undefined;
  if (state === 'pending' && timeout > 0 && launched !== undefined && now - launched > timeout * 1000) {
    state = 'error';
    reason = `the spot instance was not running within timeout=${timeout} s`;
  }
  return {
    instanceId: instance.InstanceId!,
    name: nodeNameOf(tags, instance.AmiLaunchIndex),
    state,
    publicIps: instance.PublicIpAddress ? [instance.PublicIpAddress] : [],
    privateIps: privateIpsOf(instance),
    ...(instance.InstanceType ? { flavor: instance.InstanceType } : {}),
    ...(reason ? { reason } : {}),
  };
}
