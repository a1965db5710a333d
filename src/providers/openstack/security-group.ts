/**
 * The nodes' security groups (Neutron), by name or id. A group that does not exist is created, tagged
 * with the cluster, with SSH from `ssh_cidr` and all traffic between its members; herd completes the
 * rules of a group it created earlier (a crash between creating and authorizing) and never changes a
 * group it did not create. `stop` deletes the groups herd created once no port uses them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log.js';
import type { ClusterRef } from '../types.js';
import { OpenStackApiError } from './api-error.js';
import type { OpenStackClient } from './client.js';
import { clusterTags, isOwnTagged, ownerDescription, securityGroupName } from './identity.js';

/** A Neutron security group (fields herd reads). */
export interface NeutronSecurityGroup {
  id: string;
  name: string;
  description?: string | null;
  tags?: string[];
  project_id?: string;
  security_group_rules?: {
    direction: string;
    ethertype?: string;
    protocol?: string | null;
    port_range_min?: number | null;
    port_range_max?: number | null;
    remote_ip_prefix?: string | null;
    remote_group_id?: string | null;
  }[];
}

/** What ensureSecurityGroups needs. */
export interface SecurityGroupRequest {
  cluster: ClusterRef;
  /** `security_group` names or ids; empty = herd's own group. */
  wanted: readonly string[];
  sshCidr: string;
  /** Where the names came from (`[cluster/NAME]`), for the warning about a group herd had to create. */
  origin: string;
}

/** The rules herd gives a group it creates. */
export function herdRules(groupId: string, sshCidr: string): Record<string, unknown>[] {
  return [
    {
      security_group_id: groupId,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: sshCidr,
      description: 'SSH (herd ssh_cidr)',
    },
    {
      security_group_id: groupId,
      direction: 'ingress',
      ethertype: 'IPv4',
      remote_group_id: groupId,
      description: 'between cluster nodes',
    },
  ];
}

function missingRules(group: NeutronSecurityGroup, sshCidr: string): Record<string, unknown>[] {
  const rules = group.security_group_rules ?? [];
  const hasSsh = rules.some(
    (r) =>
      r.direction === 'ingress' &&
      r.protocol === 'tcp' &&
      (r.port_range_min ?? 0) <= 22 &&
      (r.port_range_max ?? 65535) >= 22 &&
      r.remote_ip_prefix === sshCidr,
  );
  const hasSelf = rules.some(
    (r) => r.direction === 'ingress' && !r.protocol && r.remote_group_id === group.id,
  );
  const [ssh, self] = herdRules(group.id, sshCidr);
  return [...(hasSsh ? [] : [ssh!]), ...(hasSelf ? [] : [self!])];
}

/** Returns the ids of the kind's groups, creating missing ones (and completing herd's own rules). */
export async function ensureSecurityGroups(
  client: OpenStackClient,
  request: SecurityGroupRequest,
  log: Logger,
  signal?: AbortSignal,
): Promise<string[]> {
  const projectId = (await client.tokenInfo(signal)).projectId;
  const groups = await client.listAll<NeutronSecurityGroup>(
    'network',
    '/v2.0/security-groups',
    'security_groups',
    {
      signal,
    },
  );
  const names = request.wanted.length > 0 ? request.wanted : [securityGroupName(request.cluster)];
  const ids: string[] = [];
  for (const name of names) {
    const own = groups.filter((g) => g.project_id === undefined || g.project_id === projectId);
    let group =
      groups.find((g) => g.id === name) ??
      own.find((g) => g.name === name) ??
      groups.find((g) => g.name === name);
    if (!group) {
      group = await createGroup(client, request, name, signal);
      groups.push(group);
      const what = `security group ${name} (${group.id}): SSH from ${request.sshCidr} (ssh_cidr), all traffic between the cluster's nodes; removed at stop`;
      if (request.wanted.length > 0) {
        log.warn(
          `${request.origin} security_group=${name} does not exist, so herd created it: ${what}. If you meant an existing group, fix the name.`,
        );
      } else log.debug(`Created ${what}.`);
    }
    if (isOwnTagged(request.cluster, group)) {
      for (const rule of missingRules(group, request.sshCidr)) {
        try {
          await client.call('network', 'POST', '/v2.0/security-group-rules', {
            body: { security_group_rule: rule },
            retryConflict: false,
            signal,
          });
        } catch (error) {
          if (!(error instanceof OpenStackApiError && error.status === 409)) throw error;
        }
      }
    }
    ids.push(group.id);
  }
  return ids;
}

async function createGroup(
  client: OpenStackClient,
  request: SecurityGroupRequest,
  name: string,
  signal?: AbortSignal,
): Promise<NeutronSecurityGroup> {
  const { body } = await client.call<{ security_group: NeutronSecurityGroup }>(
    'network',
    'POST',
    '/v2.0/security-groups',
    {
      body: {
        security_group: {
          name,
          description: ownerDescription(
            request.cluster,
            `SSH from ${request.sshCidr}, all traffic between members`,
          ),
        },
      },
      signal,
    },
  );
  const group = body.security_group;
  const tags = clusterTags(request.cluster);
  await client.call('network', 'PUT', `/v2.0/security-groups/${group.id}/tags`, { body: { tags }, signal });
  return { ...group, tags, security_group_rules: group.security_group_rules ?? [] };
}

/** Timing of deleteClusterSecurityGroups. */
export interface DeleteGroupsOptions {
  /** How long a group may stay in use (ports of deleted servers go away shortly after them). */
  timeoutMs: number;
  /** First pause between attempts (doubles up to 10 s). */
  intervalMs: number;
}

/**
 * Deletes the groups herd created for the cluster. A group still in use is retried until `timeoutMs`;
 * then herd warns and says how to delete it rather than failing `stop`. Returns the deleted names.
 */
export async function deleteClusterSecurityGroups(
  client: OpenStackClient,
  cluster: ClusterRef,
  log: Logger,
  options: DeleteGroupsOptions,
): Promise<string[]> {
  const groups = (
    await client.listAll<NeutronSecurityGroup>('network', '/v2.0/security-groups', 'security_groups')
  ).filter((g) => isOwnTagged(cluster, g));
  const deleted: string[] = [];
  await Promise.all(
    groups.map(async (group) => {
      const deadline = Date.now() + options.timeoutMs;
      let pause = options.intervalMs;
      for (;;) {
        try {
          await client.call('network', 'DELETE', `/v2.0/security-groups/${group.id}`, {
            retryConflict: false,
          });
          deleted.push(group.name);
          return;
        } catch (error) {
          if (!(error instanceof OpenStackApiError)) throw error;
          if (error.status === 404) return;
          if (error.status !== 409) throw error;
          if (Date.now() + pause > deadline) {
            log.warn(
              `Security group ${group.name} (${group.id}) of cluster "${cluster.name}" is still in use after ${Math.round(options.timeoutMs / 1000)} s and was left in place. Delete it once its ports are gone: openstack security group delete ${group.id}`,
            );
            return;
          }
          await sleep(pause);
          pause = Math.min(pause * 2, 10_000);
        }
      }
    }),
  );
  return deleted;
}
