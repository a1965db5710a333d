/**
 * `request_floating_ip`: an ACTIVE server that should have a floating IP gets one from the external
 * network its metadata names, allocated on the server's port, tagged with the cluster and the
 * server (so a crash between allocation and tagging is still found by its description) and released
 * when the server is deleted or the cluster stopped.
 */
import type { Logger } from '../../log.js';
import type { ClusterRef } from '../types.js';
import { OpenStackApiError } from './api-error.js';
import type { OpenStackClient } from './client.js';
import {
  clusterTag,
  clusterTags,
  isOwnTagged,
  ownerDescription,
  serverOfTags,
  serverTag,
} from './identity.js';

/** A Neutron floating IP (fields herd reads). */
export interface NeutronFloatingIp {
  id: string;
  floating_ip_address: string;
  port_id?: string | null;
  tags?: string[];
  description?: string | null;
}

/** The cluster's floating IPs (one call). */
export async function clusterFloatingIps(
  client: OpenStackClient,
  cluster: ClusterRef,
): Promise<NeutronFloatingIp[]> {
  const listed = await client.listAll<NeutronFloatingIp>('network', '/v2.0/floatingips', 'floatingips', {
    query: { tags: clusterTag(cluster) },
  });
  return listed.filter((f) => isOwnTagged(cluster, f));
}

/**
 * Gives each server a floating IP from `networkId` (reusing one allocated for it earlier); returns
 * server id -> address. A failure is a warning: the node keeps its fixed address.
 */
export async function ensureFloatingIps(
  client: OpenStackClient,
  cluster: ClusterRef,
  servers: readonly { id: string; networkId: string }[],
  log: Logger,
): Promise<Map<string, string>> {
  const assigned = new Map<string, string>();
  if (servers.length === 0) return assigned;
  const existing = await clusterFloatingIps(client, cluster);
  const { body } = await client.call<{ ports: { id: string; device_id: string }[] }>(
    'network',
    'GET',
    '/v2.0/ports',
    {
      query: { device_id: servers.map((s) => s.id) },
    },
  );
  for (const server of servers) {
    try {
      const port = body.ports.find((p) => p.device_id === server.id);
      if (!port) continue; // The port is not bound yet: the next round tries again.
      let fip = existing.find((f) => serverOfTags(f.tags) === server.id);
      if (!fip) {
        const created = await client.call<{ floatingip: NeutronFloatingIp }>(
          'network',
          'POST',
          '/v2.0/floatingips',
          {
            body: {
              floatingip: {
                floating_network_id: server.networkId,
                port_id: port.id,
                description: ownerDescription(cluster, `floating IP of server ${server.id}`),
              },
            },
          },
        );
        fip = created.body.floatingip;
        await client.call('network', 'PUT', `/v2.0/floatingips/${fip.id}/tags`, {
          body: { tags: [...clusterTags(cluster), serverTag(server.id)] },
        });
      } else if (fip.port_id !== port.id) {
        await client.call('network', 'PUT', `/v2.0/floatingips/${fip.id}`, {
          body: { floatingip: { port_id: port.id } },
        });
      }
      assigned.set(server.id, fip.floating_ip_address);
      log.debug(`Floating IP ${fip.floating_ip_address} -> server ${server.id}.`);
    } catch (error) {
      log.warn(`Could not give server ${server.id} a floating IP (request_floating_ip): ${String(error)}`);
    }
  }
  return assigned;
}

/**
 * Releases the cluster's floating IPs, all of them or those of `serverIds`; returns the released
 * addresses. One that cannot be released is reported with the command that releases it.
 */
export async function releaseFloatingIps(
  client: OpenStackClient,
  cluster: ClusterRef,
  log: Logger,
  serverIds?: ReadonlySet<string>,
): Promise<string[]> {
  const released: string[] = [];
  for (const fip of await clusterFloatingIps(client, cluster)) {
    const owner = serverOfTags(fip.tags);
    if (serverIds && !(owner && serverIds.has(owner))) continue;
    try {
      await client.call('network', 'DELETE', `/v2.0/floatingips/${fip.id}`);
      released.push(fip.floating_ip_address);
    } catch (error) {
      if (error instanceof OpenStackApiError && error.status === 404) continue;
      log.warn(
        `Could not release floating IP ${fip.floating_ip_address} of cluster "${cluster.name}": ${String(error)}. Release it with: openstack floating ip delete ${fip.id}`,
      );
    }
  }
  return released;
}
