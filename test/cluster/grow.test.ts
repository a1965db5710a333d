import { afterEach, describe, expect, it } from 'vitest';
import { growCluster } from '../../src/cluster/grow.js';
import { ProviderError } from '../../src/errors.js';
import type { CreateNodesRequest } from '../../src/providers/types.js';
import { type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import { clusterState, template } from '../ssh/fixtures.js';

let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** A cloud where every frontend comes up and every compute node fails with a hint naming a key. */
async function halfBrokenCloud(requests: CreateNodesRequest[]): Promise<ClusterWorld> {
  world = await clusterWorld();
  const error = new ProviderError('Ec2ImageNotFound', '[cluster/slurm] image_id=ami-x: not found', {
    hint: 'AMIs are per region: check image_id for kind compute.',
  });
  world.cloud.refuse(['compute001', 'compute002'], error);
  world.cloud.on('createNodes', (phase, args) => {
    if (phase === 'before') requests.push(args[0] as CreateNodesRequest);
  });
  return world;
}

describe('growCluster', () => {
  it('passes the template name, so provider messages name the [cluster/TEMPLATE] section', async () => {
    const requests: CreateNodesRequest[] = [];
    const state = { ...clusterState([]), name: 'renamed' };
    const w = await halfBrokenCloud(requests);
    await growCluster({
      deps: w.deps,
      state,
      template: template(),
      provider: w.cloud.provider,
      desired: new Map([['frontend', 1]]),
      runId: 'r1',
      publicKey: 'ssh-ed25519 AAAA test',
    });
    expect(requests.map((r) => [r.cluster.name, r.template, r.kind])).toEqual([
      ['renamed', 'slurm', 'frontend'],
    ]);
  });

  it("shows the provider's advice for failed nodes in the NodesFailed hint", async () => {
    const w = await halfBrokenCloud([]);
    const error = await growCluster({
      deps: w.deps,
      state: clusterState([]),
      template: template(),
      provider: w.cloud.provider,
      desired: new Map([
        ['frontend', 1],
        ['compute', 2],
      ]),
      runId: 'r1',
      publicKey: 'ssh-ed25519 AAAA test',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('NodesFailed');
    expect((error as Error).message).toContain('compute001: [cluster/slurm] image_id=ami-x: not found');
    // Once, although both compute nodes failed with it.
    const hint = (error as ProviderError).hint!;
    expect(hint.match(/AMIs are per region/g)).toHaveLength(1);
    expect(hint).toContain('Fix the cause');
  });
});
