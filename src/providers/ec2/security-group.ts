/**
 * The nodes' security group, by name or id. herd creates a missing group in the nodes' VPC, tagged with
 * the cluster, with SSH from `ssh_cidr` and all traffic between members; it completes the rules of a
 * group it created earlier (a crash between CreateSecurityGroup and AuthorizeSecurityGroupIngress) and
 * never touches a group it did not create.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { describeCluster } from '../identity.js';
import type { ClusterRef } from '../types.js';
import type { Ec2Api } from './api.js';
import { ec2ErrorCode } from './errors.js';
import { clusterNameFilter, clusterTags, isOurs } from './tags.js';

/** What `ensureSecurityGroup` needs. */
export interface SecurityGroupRequest {
  /** Name or `sg-...` id. */
  nameOrId: string;
  vpcId: string;
  cluster: ClusterRef;
  sshCidr: string;
  /** For messages: where the name came from. */
  origin: string;
}

/** The two ingress rules of a group herd creates. */
export function herdIngressRules(groupId: string, sshCidr: string): IpPermission[] {
  return [
    {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: sshCidr, Description: 'SSH (herd ssh_cidr)' }],
    },
    { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, Description: 'between cluster nodes' }] },
  ];
}

/** Which of herd's rules `group` lacks. */
function missingRules(group: SecurityGroup, sshCidr: string): IpPermission[] {
  const rules = group.IpPermissions ?? [];
  const hasSsh = rules.some(
    (r) =>
      r.IpProtocol === 'tcp' &&
      (r.FromPort ?? 0) <= 22 &&
      (r.ToPort ?? 0) >= 22 &&
      (r.IpRanges ?? []).some((range) => range.CidrIp === sshCidr),
  );
  const hasSelf = rules.some(
    (r) => r.IpProtocol === '-1' && (r.UserIdGroupPairs ?? []).some((p) => p.GroupId === group.GroupId),
  );
  const [ssh, self] = herdIngressRules(group.GroupId!, sshCidr);
  return [...(hasSsh ? [] : [ssh!]), ...(hasSelf ? [] : [self!])];
}

/** The group by name or id in `vpcId`, if it exists (one DescribeSecurityGroups). */
export async function findGroup(
  api: Ec2Api,
  request: SecurityGroupRequest,
  signal?: AbortSignal,
): Promise<SecurityGroup | undefined> {
  const byId = /^sg-[0-9a-f]+$/.test(request.nameOrId);
  const out = await api.describeSecurityGroups(
    {
      Filters: [
        { Name: byId ? 'group-id' : 'group-name', Values: [request.nameOrId] },
        { Name: 'vpc-id', Values: [request.vpcId] },
      ],
    },
    signal,
  );
  return out.SecurityGroups?.[0];
}

/** Returns the group id, creating the group (and its rules) when a name does not exist yet. */
export async function ensureSecurityGroup(
  api: Ec2Api,
  request: SecurityGroupRequest,
  log: Logger,
  signal?: AbortSignal,
): Promise<string> {
  let group = await findGroup(api, request, signal);
  if (!group && /^sg-[0-9a-f]+$/.test(request.nameOrId)) {
    throw new ProviderError(
      'Ec2SecurityGroupNotFound',
      `${request.origin} security_group=${request.nameOrId}: no such group in ${request.vpcId}.`,
      {
        hint: `Name a group of ${request.vpcId} (by name or id), or leave security_group unset so that herd creates one.`,
      },
    );
  }
  if (!group) {
    try {
      const created = await api.createSecurityGroup(
        {
          GroupName: request.nameOrId,
          Description: `herd ${describeCluster(request.cluster)}: SSH from ${request.sshCidr}, all traffic between nodes`,
          VpcId: request.vpcId,
          TagSpecifications: [
            {
              ResourceType: 'security-group',
              Tags: clusterTags(request.cluster, { Name: request.nameOrId }),
            },
          ],
        },
        signal,
      );
      const what = `security group ${request.nameOrId} (${created.GroupId}) in ${request.vpcId}: SSH from ${request.sshCidr} (ssh_cidr), all traffic between the cluster's nodes; removed at stop`;
      // A group the user named but that does not exist may be a typo: say so at the default verbosity.
      if (request.origin.startsWith('[')) {
        log.warn(
          `${request.origin} security_group=${request.nameOrId} does not exist in ${request.vpcId}, so herd created it: ${what}. If you meant an existing group, fix the name.`,
        );
      } else log.debug(`Created ${what}.`);
      group = {
        GroupId: created.GroupId!,
        GroupName: request.nameOrId,
        IpPermissions: [],
        Tags: clusterTags(request.cluster),
      };
    } catch (error) {
      // Created meanwhile by a parallel kind or another herd process.
      if (ec2ErrorCode(error) !== 'InvalidGroup.Duplicate') throw error;
      group = await findGroup(api, request, signal);
      if (!group) throw error;
    }
  }
  // Rules are completed only on a group this cluster created: never on the user's, or another cluster's.
  if (isOurs(group.Tags, request.cluster)) {
    const missing = missingRules(group, request.sshCidr);
    if (missing.length > 0) {
      try {
        await api.authorizeSecurityGroupIngress({ GroupId: group.GroupId!, IpPermissions: missing });
      } catch (error) {
        if (ec2ErrorCode(error) !== 'InvalidPermission.Duplicate') throw error;
      }
    }
  }
  return group.GroupId!;
}

/** Timing of `deleteClusterSecurityGroups`. */
export interface DeleteGroupsOptions {
  /** How long a group may stay in use (terminated instances hold it for a while on AWS). */
  timeoutMs: number;
  /** First pause between attempts (doubles up to 15 s). */
  intervalMs: number;
  region: string;
}

/**
 * Deletes the groups herd created for `cluster` (tagged with its name and id). A group still in use
 * (DependencyViolation) is retried until `timeoutMs`; then herd warns and says how to delete it by
 * hand rather than failing `stop`.
 */
export async function deleteClusterSecurityGroups(
  api: Ec2Api,
  cluster: ClusterRef,
  log: Logger,
  options: DeleteGroupsOptions,
): Promise<string[]> {
  const out = await api.describeSecurityGroups({ Filters: [clusterNameFilter(cluster)] });
  const deleted: string[] = [];
  await Promise.all(
    (out.SecurityGroups ?? [])
      .filter((group) => isOurs(group.Tags, cluster))
      .map(async (group) => {
        const deadline = Date.now() + options.timeoutMs;
        let pause = options.intervalMs;
        for (;;) {
          try {
            await api.deleteSecurityGroup({ GroupId: group.GroupId! });
            deleted.push(group.GroupId!);
            return;
          } catch (error) {
            const code = ec2ErrorCode(error);
            if (code === 'InvalidGroup.NotFound') return;
            const busy = code === 'DependencyViolation' || code === 'InvalidGroup.InUse';
            if (!busy) throw error;
            if (Date.now() + pause > deadline) {
              log.warn(
                `Security group ${group.GroupName ?? ''} (${group.GroupId}) of ${describeCluster(cluster)} is still in use after ${Math.round(options.timeoutMs / 1000)} s and was left in place. Delete it once its instances are gone: aws ec2 delete-security-group --group-id ${group.GroupId} --region ${options.region}`,
              );
              return;
            }
            await sleep(pause);
            pause = Math.min(pause * 2, 15_000);
          }
        }
      }),
  );
  return deleted;
}
