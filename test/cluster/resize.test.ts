/**
 * `herd resize`: with nothing to do it touches neither the cloud nor Ansible; otherwise it records the
 * size it goes for with its intent, so that `herd start NAME` finishes it.
 */
import { rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { resizeCluster } from '../../src/cluster/resize.js';
import type { ClusterState } from '../../src/state/types.js';
import { clusterState, node, template } from '../ssh/fixtures.js';
import { stubProvider, testDeps } from './deps-fixture.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Dependencies that record every call that would reach a cloud, a node or Ansible. */
async function recordingDeps(calls: string[]): Promise<ClusterDeps> {
  const record = (call: string) => async (): Promise<never> => {
    calls.push(call);
    throw new Error(`${call}: not expected in this test`);
  };
  const made = await testDeps({
    createProvider: record('createProvider'),
    waitForSsh: record('waitForSsh'),
    runSetup: record('runSetup'),
    writeInventory: record('writeInventory'),
    writeKnownHosts: record('writeKnownHosts'),
    closeConnections: record('closeConnections'),
    generateKeyPair: record('generateKeyPair'),
  });
  dir = made.dir;
  return made.deps;
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
    let seen: ClusterState | undefined;
    const made = await testDeps({
      generateKeyPair: async (path) => {
        await writeFile(path, 'private');
        await writeFile(`${path}.pub`, 'ssh-ed25519 AAAA test');
      },
    });
    dir = made.dir;
    const { deps } = made;
    const provider = stubProvider({
      // What a crash right at the create call leaves on disk.
      createNodes: async () => {
        seen = await deps.repo.load('mycluster');
        throw new Error('killed');
      },
    });
    const state = clusterState([
      node('frontend001', '192.0.2.10', { instanceId: 'i-f' }),
      node('compute001', '192.0.2.11', { instanceId: 'i-c' }),
    ]);
    await deps.repo.save(state);
    await resizeCluster({
      deps: { ...deps, createProvider: async () => provider },
      name: 'mycluster',
      cloud: state.template.cloud,
      add: [{ kind: 'compute', count: 2 }],
      remove: [],
      setup: false,
    }).catch(() => undefined);
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
});
