/** `herd resize` records the size it goes for with its intent, so that `herd start NAME` finishes it. */
import { rm, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { resizeCluster } from '../../src/cluster/resize.js';
import type { ClusterState } from '../../src/state/types.js';
import { clusterState, node } from '../ssh/fixtures.js';
import { stubProvider, testDeps } from './deps-fixture.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
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
      setupSection: state.template.setup,
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
