/** Doubles for orchestration tests: ClusterDeps with a state repository in a temp dir, a cloud stub. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterDeps, silentProgress } from '../../src/cluster/deps.js';
import type { Provider } from '../../src/providers/types.js';
import { StateRepository } from '../../src/state/index.js';
import { silentLogger } from '../../src/ui/log.js';

/**
 * Dependencies whose SSH waiter reports every node ready at its first IP (recording the names it was
 * asked for in `probed`), with nothing else done; `overrides` replace any of them. Returns the temp
 * dir to remove afterwards.
 */
export async function testDeps(
  overrides: Partial<ClusterDeps> = {},
  probed: string[][] = [],
): Promise<{ deps: ClusterDeps; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-cluster-'));
  const deps: ClusterDeps = {
    repo: await StateRepository.open(dir),
    createProvider: async () => {
      throw new Error('not used');
    },
    waitForSsh: async (request) => {
      probed.push(request.nodes.map((n) => n.name));
      return new Map(
        request.nodes.map((n) => [n.name, { ok: true as const, ip: n.ips[0]!, hostKey: 'ssh-ed25519 AAAA' }]),
      );
    },
    runSetup: async () => {},
    writeInventory: async () => {},
    writeKnownHosts: async () => {},
    generateKeyPair: async () => {},
    closeConnections: async () => {},
    stopOrphanedSetup: async () => {},
    log: silentLogger,
    progress: silentProgress,
    verbosity: 0,
    playbooksDir: '/nonexistent',
    ...overrides,
  };
  return { deps, dir };
}

/** A provider that has nothing and does nothing; `overrides` give it what a test needs. */
export function stubProvider(overrides: Partial<Provider> = {}): Provider {
  return {
    name: 'ec2_boto',
    prepare: async () => {},
    createNodes: async () => ({ created: [], failed: [] }),
    describeNodes: async () => [],
    findNodes: async () => [],
    terminateNodes: async () => {},
    stopNodes: async () => {},
    startNodes: async () => {},
    cleanup: async () => {},
    ...overrides,
  };
}
