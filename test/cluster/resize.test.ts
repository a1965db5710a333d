/**
 * `herd resize`: with nothing to do it touches neither the cloud nor Ansible; otherwise it records the
 * size it goes for with its intent, so that `herd start NAME` finishes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { resizeCluster } from '../../src/cluster/resize.js';
import type { NodeCount } from '../../src/config/node-counts.js';
import { AnsibleError } from '../../src/errors.js';
import type { ClusterState } from '../../src/state/types.js';
import { ansibleFailure, type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import { clusterState, node, template } from '../ssh/fixtures.js';
import { expectCloudMatchesState, NAME, saved, savedNodes, sized, start } from './orchestration-helpers.js';

let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** `herd resize NAME` in the world, adding or removing. */
function resize(
  w: ClusterWorld,
  options: { add?: NodeCount[]; remove?: NodeCount[]; setup?: boolean },
): ReturnType<typeof resizeCluster> {
  return resizeCluster({
    deps: w.deps,
    name: NAME,
    cloud: sized(1).cloud,
    add: options.add ?? [],
    remove: options.remove ?? [],
    setup: options.setup ?? true,
  });
}

/** Dependencies that record every call that would reach a cloud, a node or Ansible. */
async function recordingDeps(calls: string[]): Promise<ClusterDeps> {
  const record = (call: string) => async (): Promise<never> => {
    calls.push(call);
    throw new Error(`${call}: not expected in this test`);
  };
  world = await clusterWorld({
    overrides: {
      createProvider: record('createProvider'),
      waitForSsh: record('waitForSsh'),
      runSetup: record('runSetup'),
      writeInventory: record('writeInventory'),
      writeKnownHosts: record('writeKnownHosts'),
      closeConnections: record('closeConnections'),
      generateKeyPair: record('generateKeyPair'),
    },
  });
  return world.deps;
}

describe('resizeCluster with nothing to add or remove', () => {
  it.each([
    ['-a 0:compute', [{ kind: 'compute', count: 0 }], []],
    [
      '-a 0:compute,0:frontend',
      [
        { kind: 'compute', count: 0 },
        { kind: 'frontend', count: 0 },
      ],
      [],
    ],
    ['-r 0:compute', [], [{ kind: 'compute', count: 0 }]],
  ])('%s is a no-op: no cloud call, no setup, state unchanged', async (_flags, add, remove) => {
    const calls: string[] = [];
    const deps = await recordingDeps(calls);
    const state = clusterState([node('frontend001', '10.0.0.2'), node('compute001', '10.0.0.3')]);
    await deps.repo.save(state);
    const before = await deps.repo.load(state.name);
    const result = await resizeCluster({
      deps,
      name: state.name,
      cloud: template().cloud,
      add,
      remove,
      setup: true,
    });
    expect(calls).toEqual([]);
    expect(result.changed).toBe(false);
    expect(result.setupRan).toBe(false);
    expect(result.removed).toEqual([]);
    expect((await deps.repo.load(state.name)).nodes).toEqual(before.nodes);
  });

  it('still refuses a kind the cluster does not have', async () => {
    const deps = await recordingDeps([]);
    const state = clusterState([node('frontend001', '10.0.0.2')]);
    await deps.repo.save(state);
    await expect(
      resizeCluster({
        deps,
        name: state.name,
        cloud: template().cloud,
        add: [{ kind: 'gpu', count: 0 }],
        remove: [],
        setup: true,
      }),
    ).rejects.toThrow(/has no node kind "gpu"/);
  });
});

describe('resize -a', () => {
  it('saves the new node count of the kind with the intent, before any cloud call', async () => {
    const w = await clusterWorld();
    world = w;
    await start(w, sized(1), { setup: false });
    let seen: ClusterState | undefined;
    // What a crash right at the create call leaves on disk.
    w.cloud.on('createNodes', async (phase) => {
      if (phase === 'before') seen = await w.deps.repo.load(NAME);
    });
    await resize(w, { add: [{ kind: 'compute', count: 2 }], setup: false });
    expect(seen?.nodes.map((n) => [n.name, n.state])).toEqual([
      ['frontend001', 'ready'],
      ['compute001', 'ready'],
      ['compute002', 'creating'],
      ['compute003', 'creating'],
    ]);
    expect(seen?.template.kinds.map((k) => [k.name, k.count])).toEqual([
      ['frontend', 1],
      ['compute', 3],
    ]);
  });

  it('creates only the new nodes, probes only them, runs setup on all and records the new size', async () => {
    world = await clusterWorld();
    await start(world, sized(1));
    world.probed.length = 0;
    const result = await resize(world, { add: [{ kind: 'compute', count: 2 }] });
    expect(result.grow?.ready).toEqual(['compute002', 'compute003']);
    expect(world.probed).toEqual([['compute002', 'compute003']]);
    expect(world.setupRuns.map((r) => r.playbook)).toEqual(['site', 'site']);
    expect(await savedNodes(world)).toEqual([
      'frontend001:ready',
      'compute001:ready',
      'compute002:ready',
      'compute003:ready',
    ]);
    expect((await saved(world))?.template.kinds.map((k) => k.count)).toEqual([1, 3]);
    expect(await expectCloudMatchesState(world)).toHaveLength(4);
  });

  it('a new node that fails, with the minimum met, is dropped and terminated', async () => {
    const w = await clusterWorld();
    world = w;
    await start(w, sized(1));
    w.unreachable.add('compute003');
    const result = await resize(w, { add: [{ kind: 'compute', count: 2 }] });
    expect(result.grow?.dropped.map((d) => d.name)).toEqual(['compute003']);
    expect(await savedNodes(w)).toEqual(['frontend001:ready', 'compute001:ready', 'compute002:ready']);
    expect((await saved(w))?.template.kinds.map((k) => k.count)).toEqual([1, 2]);
    expect(await expectCloudMatchesState(w)).toEqual(['compute001', 'compute002', 'frontend001']);
  });
});

describe('resize -r', () => {
  it('drains set-up Slurm workers first, then terminates the highest-numbered ones', async () => {
    world = await clusterWorld();
    await start(world, sized(3));
    const result = await resize(world, { remove: [{ kind: 'compute', count: 2 }] });
    expect(result.removed).toEqual(['compute003', 'compute002']);
    expect(world.setupRuns.map((r) => [r.playbook, r.extraVars])).toEqual([
      ['site', undefined],
      ['slurm-drain.yml', { herd_remove_nodes: ['compute003', 'compute002'] }],
      ['site', undefined],
    ]);
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready']);
    expect((await saved(world))?.template.kinds.map((k) => k.count)).toEqual([1, 1]);
    expect(await expectCloudMatchesState(world)).toEqual(['compute001', 'frontend001']);
  });

  it('does not drain in a cluster never set up', async () => {
    world = await clusterWorld();
    await start(world, sized(2), { setup: false });
    await resize(world, { remove: [{ kind: 'compute', count: 1 }], setup: false });
    expect(world.setupRuns).toEqual([]);
    expect(await expectCloudMatchesState(world)).toEqual(['compute001', 'frontend001']);
  });

  it('a failed drain removes nothing: the node keeps running and stays in state', async () => {
    world = await clusterWorld();
    await start(world, sized(2));
    world.setupFailures.push(ansibleFailure(['frontend001']));
    await expect(resize(world, { remove: [{ kind: 'compute', count: 1 }] })).rejects.toBeInstanceOf(
      AnsibleError,
    );
    expect(world.cloud.callsOf('terminateNodes')).toEqual([]);
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready', 'compute002:ready']);
    expect(await expectCloudMatchesState(world)).toHaveLength(3);
  });

  it('a failed terminate keeps the node in state as the cloud reports it', async () => {
    world = await clusterWorld();
    await start(world, sized(2), { setup: false });
    world.cloud.fail('terminateNodes', { kind: 'transient' });
    await expect(resize(world, { remove: [{ kind: 'compute', count: 1 }], setup: false })).rejects.toThrow(
      /RequestLimitExceeded/,
    );
    expect(await savedNodes(world)).toContain('compute002:ready');
    expect(await expectCloudMatchesState(world)).toHaveLength(3);
  });

  it('refuses to remove more nodes than the kind has, before touching anything', async () => {
    world = await clusterWorld();
    await start(world, sized(1));
    await expect(resize(world, { remove: [{ kind: 'compute', count: 2 }] })).rejects.toThrow(
      /has only 1 compute node/,
    );
    expect(world.cloud.callsOf('terminateNodes')).toEqual([]);
  });
});
