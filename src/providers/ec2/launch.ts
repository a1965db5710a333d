/**
 * Launching one batch: RunInstances in the first subnet of network_ids, the next one when EC2 has no
 * capacity there, then the per-node tags. Once RunInstances has answered nothing here throws, so the
 * caller always learns which instances exist.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Instance } from '@aws-sdk/client-ec2';
import { AbortError, ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { eachLimited } from '../../util/each-limited.js';
import type { NodeSpec } from '../types.js';
import type { Ec2Api } from './api.js';
import { ec2ErrorCode, isCapacityError, isInstanceNotFound } from './errors.js';
import type { SubnetChoice } from './network.js';
import { buildRunInstancesInput, type LaunchBatch, perNodeTags } from './run-request.js';

/** Instances of a launched batch, in node order. */
export interface LaunchedBatch {
  instances: { node: NodeSpec; instance: Instance }[];
  subnetId: string | undefined;
}

function subnetLabel(subnet: SubnetChoice | undefined): string {
  if (!subnet) return 'the default subnet';
  const az = subnet.availabilityZone ? ` in ${subnet.availabilityZone}` : '';
  return subnet.label === subnet.id ? `${subnet.id}${az}` : `${subnet.label} (${subnet.id}${az})`;
}

/**
 * Runs the batch in each subnet in turn until one has capacity. Throws the first non-capacity error
 * as is, and `Ec2NoCapacity` naming every subnet tried when none has room.
 */
export async function launchWithFailover(
  api: Ec2Api,
  batch: Omit<LaunchBatch, 'subnetId'>,
  subnets: readonly SubnetChoice[],
  log: Logger,
  signal?: AbortSignal,
): Promise<LaunchedBatch> {
  const candidates: (SubnetChoice | undefined)[] = subnets.length > 0 ? [...subnets] : [undefined];
  const tried: string[] = [];
  for (const subnet of candidates) {
    // RunInstances itself is never aborted: once sent, its answer is what tells herd what exists.
    if (signal?.aborted) throw new AbortError(`Not launching ${batch.kind} nodes: interrupted.`);
    const input = buildRunInstancesInput({ ...batch, subnetId: subnet?.id });
    try {
      const out = await api.runInstances(input);
      const instances = [...(out.Instances ?? [])].sort(
        (a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0),
      );
      return {
        subnetId: subnet?.id,
        instances: instances.flatMap((instance, i) =>
          batch.nodes[i] ? [{ node: batch.nodes[i]!, instance }] : [],
        ),
      };
    } catch (error) {
      if (!isCapacityError(error)) throw error;
      const why = `${subnetLabel(subnet)}: ${ec2ErrorCode(error)}: ${(error as Error).message}`;
      tried.push(why);
      if (subnet !== candidates.at(-1))
        log.info(`No capacity for ${batch.kind} nodes in ${why}; trying the next subnet.`);
    }
  }
  const count = batch.nodes.length;
  throw new ProviderError(
    'Ec2NoCapacity',
    `EC2 has no capacity for ${count} x ${batch.settings.flavor} (kind ${batch.kind}) in ${tried.length === 1 ? 'the only subnet tried' : `any of the ${tried.length} subnets tried`}:\n  ${tried.join('\n  ')}`,
    {
      hint:
        subnets.length > 0
          ? 'Add subnets in other availability zones to network_ids, choose another flavor, or try again later.'
          : 'Set network_ids to subnets in several availability zones (herd tries them in order), choose another flavor, or try again later.',
    },
  );
}

/**
 * Writes Name and herd:node on each instance of a multi-node batch (one CreateTags per instance, at most
 * `concurrency` at a time). A new instance may be unknown to CreateTags for a few seconds: retried. A tag
 * that cannot be written is a warning, since `herd:nodes` already maps the instance to its node.
 */
export async function tagBatch(
  api: Ec2Api,
  launched: LaunchedBatch,
  log: Logger,
  concurrency: number,
  retryDelayMs = 1000,
): Promise<void> {
  if (launched.instances.length <= 1) return;
  await eachLimited(launched.instances, concurrency, async ({ node, instance }) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await api.createTags({ Resources: [instance.InstanceId!], Tags: perNodeTags(node) });
        return;
      } catch (error) {
        if (isInstanceNotFound(error) && attempt < 4) {
          await sleep(retryDelayMs * 2 ** (attempt - 1));
          continue;
        }
        log.warn(`Could not tag ${instance.InstanceId} as ${node.name}: ${String(error)}`);
        return;
      }
    }
  });
}
