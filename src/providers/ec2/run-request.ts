/**
 * The RunInstances request for one batch (the nodes of one kind, in one subnet), built from settings
 * alone so that it is tested without a cloud.
 *
 * Batching: MinCount = MaxCount = the batch size. EC2 then launches all or nothing, so a capacity error
 * fails the whole batch at once and failover moves the whole batch to the next subnet, rather than
 * leaving a kind split over zones with some of its nodes missing. Per-node tags (Name, herd:node)
 * cannot go into one request for N instances: they are written by CreateTags after the call, and the
 * batch's names go into `herd:nodes` at creation, so launch index N is node N even after a crash.
 */
import { createHash } from 'node:crypto';
import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import type { ClusterRef, NodeSpec } from '../types.js';
import type { Ec2KindSettings } from './settings.js';
import { clusterTags, encodeNodeNames, TAG_KIND, TAG_NODE, TAG_RUN, TAG_SPOT_TIMEOUT } from './tags.js';

/** Everything one RunInstances call depends on. */
export interface LaunchBatch {
  cluster: ClusterRef;
  runId: string;
  kind: string;
  nodes: readonly NodeSpec[];
  settings: Ec2KindSettings;
  keyName: string;
  securityGroupId: string;
  /** undefined = the default VPC's choice. */
  subnetId: string | undefined;
  /** Root device name for boot_disk_* (boot_disk_device, else the AMI's). */
  rootDevice: string | undefined;
  /** What an instance that powers itself off becomes (idle_action); EC2's default is stop. */
  shutdownAction?: 'stop' | 'terminate' | undefined;
}

/**
 * An idempotency token (at most 64 ASCII characters) that is the same for a retry of the same batch
 * and different for anything else: EC2 answers a repeated token with the instances it already launched.
 */
export function clientToken(
  batch: Pick<LaunchBatch, 'cluster' | 'runId' | 'kind' | 'subnetId' | 'nodes'>,
): string {
  const key = [
    batch.cluster.name,
    batch.cluster.id ?? '',
    batch.runId,
    batch.kind,
    batch.subnetId ?? 'default',
    ...batch.nodes.map((n) => n.name),
  ].join('\n');
  return `herd-${createHash('sha256').update(key).digest('hex').slice(0, 59)}`;
}

/** Tags every instance and volume of the batch gets at creation. */
export function batchTags(batch: LaunchBatch): Tag[] {
  const only = batch.nodes.length === 1 ? batch.nodes[0] : undefined;
  const timeout = batch.settings.spot?.timeoutSeconds;
  return [
    ...(only ? [{ Key: 'Name', Value: only.cloudName }] : []),
    ...clusterTags(batch.cluster),
    { Key: TAG_KIND, Value: batch.kind },
    { Key: TAG_RUN, Value: batch.runId },
    ...(only ? [{ Key: TAG_NODE, Value: only.name }] : []),
    ...encodeNodeNames(batch.nodes.map((n) => n.name)),
    ...(timeout !== undefined ? [{ Key: TAG_SPOT_TIMEOUT, Value: String(timeout) }] : []),
  ];
}

/** Tags CreateTags writes on one instance of a multi-node batch. */
export function perNodeTags(node: NodeSpec): Tag[] {
  return [
    { Key: 'Name', Value: node.cloudName },
    { Key: TAG_NODE, Value: node.name },
  ];
}

/** True when the kind sets any boot_disk_* key that needs a block device mapping. */
export function needsRootDevice(settings: Ec2KindSettings): boolean {
  const d = settings.bootDisk;
  return d.sizeGiB !== undefined || d.type !== undefined || d.iops !== undefined;
}

/** The RunInstances input of a batch. */
export function buildRunInstancesInput(batch: LaunchBatch): RunInstancesCommandInput {
  const { settings } = batch;
  const tags = batchTags(batch);
  const disk = settings.bootDisk;
  return {
    ImageId: settings.imageId,
    InstanceType: settings.flavor as RunInstancesCommandInput['InstanceType'],
    MinCount: batch.nodes.length,
    MaxCount: batch.nodes.length,
    KeyName: batch.keyName,
    SecurityGroupIds: [batch.securityGroupId],
    ...(batch.subnetId ? { SubnetId: batch.subnetId } : {}),
    ClientToken: clientToken(batch),
    // A spot instance can only terminate; an idle cluster's nodes power themselves off into this.
    ...(batch.shutdownAction && !settings.spot
      ? { InstanceInitiatedShutdownBehavior: batch.shutdownAction }
      : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
    ...(needsRootDevice(settings) && batch.rootDevice
      ? {
          BlockDeviceMappings: [
            {
              DeviceName: batch.rootDevice,
              Ebs: {
                DeleteOnTermination: true,
                ...(disk.sizeGiB !== undefined ? { VolumeSize: disk.sizeGiB } : {}),
                ...(disk.type !== undefined ? { VolumeType: disk.type as 'gp3' } : {}),
                ...(disk.iops !== undefined ? { Iops: disk.iops } : {}),
              },
            },
          ],
        }
      : {}),
    ...(settings.placementGroup ? { Placement: { GroupName: settings.placementGroup } } : {}),
    ...(settings.instanceProfile ? { IamInstanceProfile: { Name: settings.instanceProfile } } : {}),
    ...(settings.userdata ? { UserData: Buffer.from(settings.userdata).toString('base64') } : {}),
    ...(settings.spot
      ? {
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: {
              SpotInstanceType: 'one-time',
              InstanceInterruptionBehavior: 'terminate',
              ...(settings.spot.maxPrice ? { MaxPrice: settings.spot.maxPrice } : {}),
            },
          },
        }
      : {}),
  };
}
