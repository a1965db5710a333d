/** resize with nothing to do: `-a 0:KIND` must not touch the cloud or run the setup. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClusterDeps, silentProgress } from '../../src/cluster/deps.js';
import { resizeCluster } from '../../src/cluster/resize.js';
import { StateRepository } from '../../src/state/index.js';
import { silentLogger } from '../../src/ui/log.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Dependencies that record every call that would reach a cloud, a node or Ansible. */
async function recordingDeps(calls: string[]): Promise<ClusterDeps> {
  dir = await mkdtemp(join(tmpdir(), 'herd-resize-'));
  return {
    repo: await StateRepository.open(dir),
    createProvider: async () => {
      calls.push('createProvider');
      throw new Error('no cloud in this test');
    },
    waitForSsh: async () => {
      calls.push('waitForSsh');
      return new Map();
    },
    runSetup: async () => {
      calls.push('runSetup');
    },
    writeInventory: async () => {
      calls.push('writeInventory');
    },
    writeKnownHosts: async () => {
      calls.push('writeKnownHosts');
    },
    closeConnections: async () => {
      calls.push('closeConnections');
    },
    generateKeyPair: async () => {
      calls.push('generateKeyPair');
    },
    log: silentLogger,
    progress: silentProgress,
    verbosity: 0,
    playbooksDir: '/nonexistent',
  };
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
