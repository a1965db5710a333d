/**
 * `request_floating_ip`: a running node without a public IP gets an Elastic IP, allocated with the
 * cluster's and the instance's tags (so a crash between allocation and association loses nothing) and
 * released when the node is terminated or the cluster cleaned up.
 */
import type { Address } from '@aws-sdk/client-ec2';
import type { Logger } from '../../log.js';
import { describeCluster } from '../identity.js';
import type { ClusterRef } from '../types.js';
import type { Ec2Api } from './api.js';
import { ec2ErrorCode } from './errors.js';
import { clusterNameFilter, clusterTags, isOurs, TAG_INSTANCE, tagMap } from './tags.js';

/** The Elastic IPs herd allocated for the cluster (tagged with its name and id). */
async function clusterAddresses(api: Ec2Api, cluster: ClusterRef): Promise<Address[]> {
  const out = await api.describeAddresses({ Filters: [clusterNameFilter(cluster)] });
  return (out.Addresses ?? []).filter((a) => isOurs(a.Tags, cluster));
}

const instanceOf = (address: Address) => tagMap(address.Tags)[TAG_INSTANCE] ?? address.InstanceId;

/**
 * Gives each instance an Elastic IP (reusing one allocated for it earlier); returns instance id ->
 * public IP. A failure is a warning: the node keeps its private address.
 */
export async function ensureFloatingIps(
  api: Ec2Api,
  cluster: ClusterRef,
  instanceIds: readonly string[],
  log: Logger,
): Promise<Map<string, string>> {
  const assigned = new Map<string, string>();
  if (instanceIds.length === 0) return assigned;
  const addresses = await clusterAddresses(api, cluster);
  for (const id of instanceIds) {
    try {
      let address = addresses.find((a) => instanceOf(a) === id);
      if (!address) {
        const allocated = await api.allocateAddress({
          Domain: 'vpc',
          TagSpecifications: [
            { ResourceType: 'elastic-ip', Tags: clusterTags(cluster, { [TAG_INSTANCE]: id }) },
          ],
        });
        address = { AllocationId: allocated.AllocationId!, PublicIp: allocated.PublicIp! };
      }
      if (address.InstanceId !== id) {
        await api.associateAddress({ AllocationId: address.AllocationId!, InstanceId: id });
      }
      assigned.set(id, address.PublicIp!);
      log.debug(`Elastic IP ${address.PublicIp} -> ${id}.`);
    } catch (error) {
      log.warn(`Could not give instance ${id} an Elastic IP (request_floating_ip): ${String(error)}`);
    }
  }
  return assigned;
}

/**
 * Releases the cluster's Elastic IPs, all of them or those of `instanceIds`; returns the released
 * addresses. What cannot be released is reported with the command that releases it.
 */
export async function releaseFloatingIps(
  api: Ec2Api,
  cluster: ClusterRef,
  log: Logger,
  instanceIds?: ReadonlySet<string>,
): Promise<string[]> {
  const released: string[] = [];
  for (const address of await clusterAddresses(api, cluster)) {
    const owner = instanceOf(address);
    if (instanceIds && !(owner && instanceIds.has(owner))) continue;
    try {
      if (address.AssociationId) {
        await api.disassociateAddress({ AssociationId: address.AssociationId }).catch((error: unknown) => {
          if (ec2ErrorCode(error) !== 'InvalidAssociationID.NotFound') throw error;
        });
      }
      await api.releaseAddress({ AllocationId: address.AllocationId! });
      released.push(address.PublicIp ?? address.AllocationId!);
    } catch (error) {
      if (ec2ErrorCode(error) === 'InvalidAllocationID.NotFound') continue;
      log.warn(
        `Could not release Elastic IP ${address.PublicIp} of ${describeCluster(cluster)}: ${String(error)}. Release it with: aws ec2 release-address --allocation-id ${address.AllocationId}`,
      );
    }
  }
  return released;
}
