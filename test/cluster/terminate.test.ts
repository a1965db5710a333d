/**
 * Terminating nodes that the cloud then fails to terminate: the state records what really happened
 * (the nodes are not left `terminating`), and a later start probes the nodes that still run and
 * replaces those that are gone, also for a state file an older herd left `terminating`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { growCluster } from '../../src/cluster/grow.js';
import { stopCluster } from '../../src/cluster/stop.js';
import type { ProviderError } from '../../src/errors.js';
import type { ClusterState } from '../../src/state/types.js';
import { type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** A world whose cloud runs frontend001 as i-f1 and no longer has compute001 (i-c1). */
async function frontendOnly(): Promise<ClusterWorld> {
  const w = await clusterWorld();
  world = w;
  w.cloud.seed({
    instanceId: 'i-f1',
    name: 'frontend001',
    cluster: { name: 'mycluster', id: undefined },
    privateIps: ['192.0.2.10'],
  });
  return w;
}

function twoNodes(): ClusterState {
  return clusterState([
    node('frontend001', '192.0.2.10', { instanceId: 'i-f1' }),
    node('compute001', '192.0.2.11', { instanceId: 'i-c1' }),
  ]);
}

describe('a terminate that fails', () => {
  it('stop without --force leaves no node `terminating`: they are what the cloud says', async () => {
    // compute001 went down before the call failed; frontend001 still runs.
    const w = await frontendOnly();
    w.cloud.fail('terminateNodes', { kind: 'transient' });
    const d = w.deps;
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
    const w = await frontendOnly();
    const d = w.deps;
    // As an older herd left it: every node `terminating` after a failed stop.
    const state = twoNodes();
    for (const n of state.nodes) n.state = 'terminating';
    await d.repo.save(state);
    const grow = await growCluster({
      deps: d,
      state,
      template: template(),
      provider: w.cloud.provider,
      desired: new Map([
        ['frontend', 1],
        ['compute', 1],
      ]),
      runId: 'r2',
      publicKey: 'ssh-ed25519 AAAA test',
    });
    expect(w.cloud.callsOf('createNodes')).toEqual(['createNodes compute compute001']);
    expect(w.probed.flat().sort()).toEqual(['compute001', 'frontend001']);
    expect(grow.ready.slice().sort()).toEqual(['compute001', 'frontend001']);
    const replacement = w.cloud.live().find((i) => i.name === 'compute001')!;
    expect(state.nodes.map((n) => [n.name, n.state, n.instanceId])).toEqual([
      ['frontend001', 'ready', 'i-f1'],
      ['compute001', 'ready', replacement.instanceId],
    ]);
  });
});
