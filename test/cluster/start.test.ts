/**
 * `herd start` against the in-memory cloud: a fresh start, a resume after a crash at every step
 * that records intent, adopting what state lacks, `<kind>_nodes_min`, cleanup of a start that
 * failed early, and Ctrl-C at each stage. After each, the cloud runs exactly what state records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError, AnsibleError, ProviderError, StateLockError } from '../../src/errors.js';
import { ansibleFailure, type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import type { CloudMethod } from '../fakes/memory-provider.js';
import {
  Crash,
  crashPoint,
  expectCloudMatchesState,
  NAME,
  saved,
  savedNodes,
  sized,
  start,
  stop,
} from './orchestration-helpers.js';

let world: ClusterWorld;
afterEach(async () => {
  await world?.dispose();
});

async function newWorld(options: Parameters<typeof clusterWorld>[0] = {}): Promise<ClusterWorld> {
  world = await clusterWorld(options);
  return world;
}

const ALL_READY = ['frontend001:ready', 'compute001:ready', 'compute002:ready'];
const ALL_NAMES = ['compute001', 'compute002', 'frontend001'];

describe('start: a fresh cluster', () => {
  it('creates every kind in one call each, waits for SSH, pins host keys and runs setup', async () => {
    await newWorld();
    const result = await start(world);
    expect(result.resumed).toBe(false);
    expect(result.setupRan).toBe(true);
    expect(world.cloud.callsOf('createNodes').sort()).toEqual([
      'createNodes compute compute001,compute002',
      'createNodes frontend frontend001',
    ]);
    expect(world.probed).toEqual([['frontend001', 'compute001', 'compute002']]);
    const state = await saved(world);
    expect(state?.nodes.map((n) => `${n.name}:${n.state}`)).toEqual(ALL_READY);
    expect(state?.setupCompletedAt).toBeDefined();
    expect(state?.nodes[1]?.hostKey).toBe(`ssh-ed25519 HOSTKEY-${state?.nodes[1]?.instanceId}`);
    expect(state?.nodes.map((n) => n.flavor)).toEqual(['small', 'large', 'large']);
    expect(world.setupRuns.map((r) => r.playbook)).toEqual(['site']);
    expect(world.cloud.prepared.size).toBe(1);
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });

  it('with --no-setup runs no Ansible and leaves the cluster not set up', async () => {
    await newWorld();
    const result = await start(world, sized(2), { setup: false });
    expect(result.setupRan).toBe(false);
    expect(world.setupRuns).toEqual([]);
    expect((await saved(world))?.setupCompletedAt).toBeUndefined();
  });

  it('polls nodes that boot slowly until they run', async () => {
    await newWorld({ cloud: { bootDescribes: 1 } });
    await start(world);
    expect(world.cloud.callsOf('describeNodes').length).toBeGreaterThan(0);
    expect(await savedNodes(world)).toEqual(ALL_READY);
  });

  it('a second start of a complete cluster creates nothing and does not run setup again', async () => {
    await newWorld();
    await start(world);
    const creates = world.cloud.callsOf('createNodes').length;
    const result = await start(world);
    expect(result.resumed).toBe(true);
    expect(result.setupRan).toBe(false);
    expect(world.cloud.callsOf('createNodes')).toHaveLength(creates);
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });

  it('refuses while another herd holds the cluster lock, and asks the cloud nothing', async () => {
    await newWorld();
    const lock = await world.deps.repo.lock(NAME);
    try {
      await expect(start(world)).rejects.toBeInstanceOf(StateLockError);
    } finally {
      await lock.release();
    }
    expect(world.cloud.calls).toEqual([]);
  });
});

describe('start: resume after a crash', () => {
  // Where the process dies, and what the state file on disk holds then.
  const points: [string, CloudMethod, 'before' | 'after', string[]][] = [
    ['at prepare (cluster recorded, no node yet)', 'prepare', 'before', []],
    [
      'before the create call reached the cloud',
      'createNodes',
      'before',
      ['frontend001:creating', 'compute001:creating', 'compute002:creating'],
    ],
    [
      'after the cloud created the nodes, before herd recorded their ids',
      'createNodes',
      'after',
      ['frontend001:creating', 'compute001:creating', 'compute002:creating'],
    ],
    [
      'while polling for nodes to run',
      'describeNodes',
      'before',
      ['frontend001:pending', 'compute001:pending', 'compute002:pending'],
    ],
  ];
  it.each(points)(
    '%s: the next start finishes it without a duplicate',
    async (_where, method, phase, onDisk) => {
      await newWorld({ cloud: { bootDescribes: method === 'describeNodes' ? 1 : 0 } });
      const crash = crashPoint(world);
      world.cloud.on(method, (p) => (p === phase ? crash.hit() : undefined));
      await start(world).catch(() => undefined);
      await crash.restore();
      expect(await savedNodes(world)).toEqual(onDisk);

      const result = await start(world);
      expect(result.resumed).toBe(true);
      expect(await savedNodes(world)).toEqual(ALL_READY);
      // Exactly three instances ever ran: none created twice, none left behind.
      expect(world.cloud.instances.size).toBe(3);
      expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
    },
  );

  it('while waiting for SSH: the next start probes the running nodes again and creates nothing', async () => {
    await newWorld();
    const crash = crashPoint(world);
    world.onSsh = () => crash.hit();
    await expect(start(world)).rejects.toBeInstanceOf(Crash);
    await crash.restore();
    expect(await savedNodes(world)).toEqual([
      'frontend001:running',
      'compute001:running',
      'compute002:running',
    ]);
    await start(world);
    expect(world.cloud.callsOf('createNodes')).toHaveLength(2);
    expect(world.probed).toHaveLength(2);
    expect(await savedNodes(world)).toEqual(ALL_READY);
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });

  it('during setup: the next start runs setup again, as it never completed', async () => {
    await newWorld();
    const crash = crashPoint(world);
    world.onSetup = () => crash.hit();
    await expect(start(world)).rejects.toBeInstanceOf(Crash);
    await crash.restore();
    expect((await saved(world))?.setupCompletedAt).toBeUndefined();
    const result = await start(world);
    expect(result.setupRan).toBe(true);
    expect(world.setupRuns).toHaveLength(2);
    expect((await saved(world))?.setupCompletedAt).toBeDefined();
    expect(world.cloud.instances.size).toBe(3);
  });

  it('while terminating a failed node: the next start replaces it and terminates the old one', async () => {
    await newWorld();
    world.unreachable.add('compute002');
    await expect(start(world, sized(2, 2))).rejects.toThrow(/Not enough nodes came up/);
    const oldId = (await saved(world))?.nodes.find((n) => n.name === 'compute002')?.instanceId;
    world.unreachable.clear();
    const crash = crashPoint(world);
    world.cloud.on('terminateNodes', (p) => (p === 'after' ? crash.hit() : undefined));
    await start(world, sized(2, 2)).catch(() => undefined);
    await crash.restore();
    await start(world, sized(2, 2));
    expect(await savedNodes(world)).toEqual(ALL_READY);
    expect(world.cloud.instances.get(oldId!)?.state).toBe('terminated');
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });
});

describe('start: adopting what the state file lacks', () => {
  it("records an instance of the cluster that state lost, and leaves another cluster's alone", async () => {
    await newWorld();
    await start(world, sized(1));
    const state = (await saved(world))!;
    // A node state lost (say, written by a herd that crashed before saving it) ...
    const lost = world.cloud.seed({
      name: 'compute002',
      cluster: { name: NAME, id: state.id },
      kind: 'compute',
    });
    // ... and one of another cluster of the same name (another storage dir).
    const foreign = world.cloud.seed({ name: 'compute003', cluster: { name: NAME, id: 'other-id' } });
    const result = await start(world, sized(1));
    expect(result.resumed).toBe(true);
    const after = (await saved(world))!;
    expect(after.nodes.map((n) => `${n.name}:${n.instanceId === lost.instanceId}`)).toEqual([
      'frontend001:false',
      'compute001:false',
      'compute002:true',
    ]);
    expect(after.nodes.some((n) => n.instanceId === foreign.instanceId)).toBe(false);
    expect(world.logged.some((l) => l.startsWith('info: Adopted compute002'))).toBe(true);

    await stop(world);
    expect(world.cloud.instances.get(foreign.instanceId)?.state).toBe('running');
    expect(world.cloud.liveIds()).toEqual([foreign.instanceId]);
  });
});

describe('start: <kind>_nodes_min', () => {
  it('met: drops and terminates the nodes that failed, keeps the rest', async () => {
    await newWorld();
    world.unreachable.add('compute003');
    world.cloud.refuse(['compute002']);
    const result = await start(world, sized(3, 1));
    expect(result.grow.dropped.map((d) => d.name)).toEqual(['compute002', 'compute003']);
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready']);
    expect(world.logged.filter((l) => l.startsWith('warn: compute: 1 of 3 nodes came up'))).toHaveLength(1);
    // compute003 had an instance: it is gone, not left running unknown to state.
    expect(await expectCloudMatchesState(world)).toEqual(['compute001', 'frontend001']);
    expect(result.setupRan).toBe(true);
  });

  it('not met: fails with NodesFailed, keeps the failed nodes in state; the next start replaces them', async () => {
    await newWorld();
    world.unreachable.add('compute002');
    const error = await start(world, sized(2, 2)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('NodesFailed');
    expect((error as Error).message).toContain('compute: 1 of 2 nodes ready, minimum 2');
    expect(world.setupRuns).toEqual([]);
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready', 'compute002:failed']);
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);

    world.unreachable.clear();
    await start(world, sized(2, 2));
    expect(await savedNodes(world)).toEqual(ALL_READY);
    expect(world.cloud.instances.size).toBe(4);
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });

  it('a node that never comes up fails at start_timeout and counts against the minimum', async () => {
    await newWorld();
    world.cloud.slow(['compute002']);
    const error = await start(world, sized(2, 2, 1)).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('NodesFailed');
    expect((error as Error).message).toContain('compute002: not running after start_timeout (1 s)');
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });
});

describe('start: a start that fails before any node is requested', () => {
  it('forgets the new cluster when prepare fails (nothing was made)', async () => {
    await newWorld();
    world.cloud.fail('prepare', { kind: 'fatal' });
    await expect(start(world)).rejects.toThrow(/InternalError/);
    expect(await saved(world)).toBeUndefined();
    expect(world.cloud.callsOf('cleanup')).toEqual([]);
  });

  it('cleans up what prepare made, then forgets the cluster, when finding nodes fails', async () => {
    await newWorld();
    world.cloud.fail('findNodes', { kind: 'transient' });
    await expect(start(world)).rejects.toThrow(/RequestLimitExceeded/);
    expect(world.cloud.prepared.size).toBe(0);
    expect(world.cloud.callsOf('cleanup')).toHaveLength(1);
    expect(await saved(world)).toBeUndefined();
  });

  it('keeps the record for `herd stop` when that cleanup fails too', async () => {
    await newWorld();
    world.cloud.fail('findNodes', { kind: 'transient' }).fail('cleanup', { kind: 'fatal' });
    await expect(start(world)).rejects.toThrow(/RequestLimitExceeded/);
    expect(world.cloud.prepared.size).toBe(1);
    expect(await saved(world)).toBeDefined();
    await stop(world);
    expect(world.cloud.prepared.size).toBe(0);
    expect(await saved(world)).toBeUndefined();
  });

  it('a create call that fails with a quota error marks the nodes failed, with nothing left on the cloud', async () => {
    await newWorld();
    world.cloud.fail('createNodes', { kind: 'quota', times: 2 });
    const error = await start(world).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('NodesFailed');
    expect((error as Error).message).toContain('InstanceLimitExceeded');
    expect(await savedNodes(world)).toEqual(['frontend001:failed', 'compute001:failed', 'compute002:failed']);
    expect(world.cloud.liveIds()).toEqual([]);
  });

  it('a create call that times out after the cloud acted: the instances are adopted by the next start', async () => {
    await newWorld();
    world.cloud.fail('createNodes', { kind: 'transient', afterEffect: true });
    await expect(start(world)).rejects.toThrow(/Not enough nodes came up/);
    // One kind's nodes exist on the cloud while state marks them failed without ids ...
    expect(world.cloud.liveIds()).toHaveLength(3);
    // ... so the next start finds them by tag and does not create them again.
    await start(world);
    expect(await savedNodes(world)).toEqual(ALL_READY);
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
    expect(world.cloud.instances.size).toBe(3);
  });

  it('a setup failure keeps the nodes and the cluster not set up', async () => {
    await newWorld();
    world.setupFailures.push(ansibleFailure(['compute001']));
    await expect(start(world)).rejects.toBeInstanceOf(AnsibleError);
    const state = await saved(world);
    expect(state?.setupCompletedAt).toBeUndefined();
    expect(await savedNodes(world)).toEqual(ALL_READY);
    const result = await start(world);
    expect(result.setupRan).toBe(true);
  });
});

describe('start: Ctrl-C', () => {
  // Stage, how to press Ctrl-C there, the nodes on disk, how many instances run (at least, at most).
  const stages: [string, (world: ClusterWorld, abort: () => void) => void, string[], [number, number]][] = [
    [
      'before the create call',
      (w, abort) => w.cloud.on('createNodes', (p) => (p === 'before' ? abort() : undefined)),
      ['frontend001:creating', 'compute001:creating', 'compute002:creating'],
      [0, 0],
    ],
    [
      'after the nodes were created',
      (w, abort) => w.cloud.on('createNodes', (p) => (p === 'after' ? abort() : undefined)),
      ['frontend001:running', 'compute001:running', 'compute002:running'],
      // The other kind's call may come after the abort and create nothing.
      [1, 3],
    ],
    [
      'while polling',
      (w, abort) => w.cloud.on('describeNodes', abort),
      ['frontend001:pending', 'compute001:pending', 'compute002:pending'],
      [3, 3],
    ],
    [
      'while waiting for SSH',
      (w, abort) => {
        w.onSsh = abort;
      },
      ALL_READY,
      [3, 3],
    ],
  ];
  it.each(stages)(
    '%s: saves what exists, says how to go on; stop removes everything',
    async (_s, arm, onDisk, live) => {
      await newWorld({ cloud: { bootDescribes: _s === 'while polling' ? 2 : 0 } });
      const controller = new AbortController();
      arm(world, () => controller.abort());
      const error = await start(world, sized(2), { signal: controller.signal }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect((error as AbortError).hint).toContain(`herd stop ${NAME}`);
      const disk = await savedNodes(world);
      // Where the other kind's call may land after the abort, only the names are certain.
      if (live[0] === live[1]) expect(disk).toEqual(onDisk);
      else expect(disk.map((n) => n.split(':')[0])).toEqual(onDisk.map((n) => n.split(':')[0]));
      expect(world.cloud.liveIds().length).toBeGreaterThanOrEqual(live[0]);
      expect(world.cloud.liveIds().length).toBeLessThanOrEqual(live[1]);
      expect(world.setupRuns).toEqual([]);
      await expectCloudMatchesState(world);

      await stop(world);
      expect(world.cloud.liveIds()).toEqual([]);
      expect(await saved(world)).toBeUndefined();
    },
  );

  it('during setup: the nodes keep running, the hint names herd setup', async () => {
    await newWorld();
    const controller = new AbortController();
    world.onSetup = () => controller.abort();
    const error = await start(world, sized(2), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).hint).toContain(`herd setup ${NAME}`);
    expect(await savedNodes(world)).toEqual(ALL_READY);
    expect((await saved(world))?.setupCompletedAt).toBeUndefined();
    expect(await expectCloudMatchesState(world)).toEqual(ALL_NAMES);
  });
});
