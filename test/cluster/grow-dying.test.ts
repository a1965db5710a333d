/** A node whose container dies fails at once with its reason (issue 14), not at start_timeout. */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { growCluster } from '../../src/cluster/grow.js';
import type { Provider } from '../../src/providers/types.js';
import type { SshOutcome } from '../../src/ssh/ssh-waiter.js';
import { clusterState, template } from '../ssh/fixtures.js';
import { stubProvider, testDeps } from './deps-fixture.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function deps(): Promise<ClusterDeps> {
  const made = await testDeps();
  dir = made.dir;
  return made.deps;
}

describe('growCluster with a node that dies', () => {
  it('fails a node that dies before it runs at once, with its reason, and keeps the minimum', async () => {
    const dead = 'its container (systemd-nspawn PID 42) exited; console: Too many open files';
    // start_timeout is 600 s: waiting for compute002 to run would outlast the test.
    const result = await growOneDying(await deps(), cloudWhereCompute002Dies('pending', dead));
    expect(result.ready).toEqual(['frontend001', 'compute001']);
    expect(result.dropped).toEqual([{ name: 'compute002', reason: dead }]);
  });

  it('fails a node that dies during the SSH wait with its reason, not at start_timeout', async () => {
    const dead = 'its container (systemd-nspawn PID 43) exited; console: Freezing execution.';
    const made = await testDeps({
      // compute002 never answers: only the provider's word that it died ends its wait.
      waitForSsh: async (request) => {
        const outcomes = new Map<string, SshOutcome>();
        for (const n of request.nodes) {
          if (n.name !== 'compute002') {
            outcomes.set(n.name, { ok: true, ip: n.ips[0]!, hostKey: 'ssh-ed25519 AAAA' });
            request.onReady?.(n.name, n.ips[0]!);
            continue;
          }
          for (let i = 0; i < 200 && request.nodeGone?.(n.name) === undefined; i++)
            await new Promise((r) => setTimeout(r, 50));
          const gone = request.nodeGone?.(n.name);
          outcomes.set(n.name, { ok: false, reason: gone ?? 'no SSH before the start timeout' });
        }
        return outcomes;
      },
    });
    dir = made.dir;
    const result = await growOneDying(made.deps, cloudWhereCompute002Dies('running', dead));
    expect(result.ready).toEqual(['frontend001', 'compute001']);
    expect(result.dropped).toEqual([{ name: 'compute002', reason: dead }]);
  });
});

/** A cloud that creates every node in `created` state and then reports compute002 stopped for `reason`. */
function cloudWhereCompute002Dies(created: 'pending' | 'running', reason: string): Provider {
  const status = (id: string, state: 'pending' | 'running') => ({
    instanceId: id,
    name: id.slice(2),
    state,
    publicIps: [],
    privateIps: ['192.0.2.10'],
  });
  return stubProvider({
    createNodes: async (request) => ({
      created: request.nodes.map((n) => ({ ...status(`i-${n.name}`, created), name: n.name })),
      failed: [],
    }),
    describeNodes: async (_cluster, ids) =>
      ids.map((id) =>
        id === 'i-compute002'
          ? { ...status(id, 'running'), state: 'stopped' as const, reason }
          : status(id, 'running'),
      ),
  });
}

/** Grows 1 frontend + 2 compute nodes (compute minimum 1) on `provider`. */
function growOneDying(clusterDeps: ClusterDeps, provider: Provider) {
  return growCluster({
    deps: clusterDeps,
    state: clusterState([]),
    template: template(),
    provider,
    desired: new Map([
      ['frontend', 1],
      ['compute', 2],
    ]),
    runId: 'r1',
    publicKey: 'ssh-ed25519 AAAA test',
  });
}
