/**
 * Terminating nodes that the cloud then fails to terminate: the state records what really happened
 * (the nodes are not left `terminating`), and a later start probes the nodes that still run and
 * replaces those that are gone, also for a state file an older herd left `terminating`.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { growCluster } from '../../src/cluster/grow.js';
import { stopCluster } from '../../src/cluster/stop.js';
import { ProviderError } from '../../src/errors.js';
import type { NodeStatus, Provider } from '../../src/providers/types.js';
import type { ClusterState } from '../../src/state/types.js';
import { clusterState, node, template } from '../ssh/fixtures.js';
import { stubProvider, testDeps } from './deps-fixture.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A cloud that knows `statuses` by instance id and whose terminate fails (when `failTerminate`). */
function cloud(statuses: NodeStatus[], calls: string[], failTerminate: boolean): Provider {
  const byId = new Map(statuses.map((s) => [s.instanceId, s]));
  return stubProvider({
    createNodes: async (request) => {
      calls.push(`create ${request.nodes.map((n) => n.name).join(',')}`);
      return {
        created: request.nodes.map((n) => ({
          instanceId: `i-new-${n.name}`,
          name: n.name,
          state: 'running' as const,
          publicIps: [],
          privateIps: ['192.0.2.99'],
        })),
        failed: [],
      };
    },
    describeNodes: async (_cluster, ids) => {
      calls.push(`describe ${[...ids].join(',')}`);
      return ids.map(
        (id) =>
          byId.get(id) ?? {
            instanceId: id,
            name: undefined,
            state: 'terminated',
            publicIps: [],
            privateIps: [],
          },
      );
    },
    findNodes: async () => [...byId.values()].filter((s) => s.state !== 'terminated'),
    terminateNodes: async (_cluster, ids) => {
      calls.push(`terminate ${[...ids].join(',')}`);
      if (failTerminate) throw new ProviderError('Ec2RequestFailed', 'EC2 said: RequestLimitExceeded');
    },
  });
}

const running = (id: string, name: string, ip: string): NodeStatus => ({
  instanceId: id,
  name,
  state: 'running',
  publicIps: [],
  privateIps: [ip],
});

async function deps(provider: Provider, probed: string[][]): Promise<ClusterDeps> {
  const made = await testDeps({ createProvider: async () => provider }, probed);
  dir = made.dir;
  return made.deps;
}

function twoNodes(): ClusterState {
  return clusterState([
    node('frontend001', '192.0.2.10', { instanceId: 'i-f1' }),
    node('compute001', '192.0.2.11', { instanceId: 'i-c1' }),
  ]);
}

describe('a terminate that fails', () => {
  it('stop without --force leaves no node `terminating`: they are what the cloud says', async () => {
    const calls: string[] = [];
    // compute001 went down before the call failed; frontend001 still runs.
    const provider = cloud([running('i-f1', 'frontend001', '192.0.2.10')], calls, true);
    const d = await deps(provider, []);
    const state = twoNodes();
    await d.repo.save(state);
    const error = await stopCluster({
      deps: d,
      name: state.name,
      cloud: state.template.cloud,
      force: false,
      wait: false,
    }).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('TerminateFailed');
    const saved = await d.repo.load(state.name);
    expect(saved.nodes.map((n) => [n.name, n.state])).toEqual([
      ['frontend001', 'ready'],
      ['compute001', 'terminated'],
    ]);
  });

  it('a later start probes the nodes that still run and replaces those that are gone', async () => {
    const calls: string[] = [];
    const probed: string[][] = [];
    const provider = cloud([running('i-f1', 'frontend001', '192.0.2.10')], calls, false);
    const d = await deps(provider, probed);
    // As an older herd left it: every node `terminating` after a failed stop.
    const state = twoNodes();
    for (const n of state.nodes) n.state = 'terminating';
    await d.repo.save(state);
    const grow = await growCluster({
      deps: d,
      state,
      template: template(),
      provider,
      desired: new Map([
        ['frontend', 1],
        ['compute', 1],
      ]),
      runId: 'r2',
      publicKey: 'ssh-ed25519 AAAA test',
    });
    expect(calls).toContain('create compute001');
    expect(probed.flat().sort()).toEqual(['compute001', 'frontend001']);
    expect(grow.ready.slice().sort()).toEqual(['compute001', 'frontend001']);
    expect(state.nodes.map((n) => [n.name, n.state, n.instanceId])).toEqual([
      ['frontend001', 'ready', 'i-f1'],
      ['compute001', 'ready', 'i-new-compute001'],
    ]);
  });
});
