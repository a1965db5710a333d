import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { growCluster } from '../../src/cluster/grow.js';
import { ProviderError } from '../../src/errors.js';
import type { CreateNodesRequest, Provider } from '../../src/providers/types.js';
import { clusterState, template } from '../ssh/fixtures.js';
import { stubProvider, testDeps } from './deps-fixture.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A cloud where every frontend comes up and every compute node fails with a hint naming a key. */
function halfBrokenCloud(requests: CreateNodesRequest[]): Provider {
  return stubProvider({
    createNodes: async (request) => {
      requests.push(request);
      if (request.kind === 'compute') {
        const error = new ProviderError(
          'Ec2ImageNotFound',
          `[cluster/${request.template}] image_id=ami-x: not found`,
          {
            hint: 'AMIs are per region: check image_id for kind compute.',
          },
        );
        return { created: [], failed: request.nodes.map((n) => ({ name: n.name, error })) };
      }
      return {
        created: request.nodes.map((n) => ({
          instanceId: `i-${n.name}`,
          name: n.name,
          state: 'running' as const,
          publicIps: [],
          privateIps: ['192.0.2.10'],
        })),
        failed: [],
      };
    },
  });
}

async function deps(): Promise<ClusterDeps> {
  const made = await testDeps();
  dir = made.dir;
  return made.deps;
}

describe('growCluster', () => {
  it('passes the template name, so provider messages name the [cluster/TEMPLATE] section', async () => {
    const requests: CreateNodesRequest[] = [];
    const state = { ...clusterState([]), name: 'renamed' };
    await growCluster({
      deps: await deps(),
      state,
      template: template(),
      provider: halfBrokenCloud(requests),
      desired: new Map([['frontend', 1]]),
      runId: 'r1',
      publicKey: 'ssh-ed25519 AAAA test',
    });
    expect(requests.map((r) => [r.cluster.name, r.template, r.kind])).toEqual([
      ['renamed', 'slurm', 'frontend'],
    ]);
  });

  it("shows the provider's advice for failed nodes in the NodesFailed hint", async () => {
    const error = await growCluster({
      deps: await deps(),
      state: clusterState([]),
      template: template(),
      provider: halfBrokenCloud([]),
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
