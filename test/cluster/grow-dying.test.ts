/** A node whose container dies fails at once with its reason (issue 14), not at start_timeout. */
import { afterEach, describe, expect, it } from 'vitest';
import { growCluster } from '../../src/cluster/grow.js';
import type { SshOutcome, SshWaiter } from '../../src/ssh/ssh-waiter.js';
import { type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import { clusterState, template } from '../ssh/fixtures.js';

let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

describe('growCluster with a node that dies', () => {
  it('fails a node that dies before it runs at once, with its reason, and keeps the minimum', async () => {
    const dead = 'its container (systemd-nspawn PID 42) exited; console: Too many open files';
    world = await clusterWorld();
    // compute002 would stay pending for ever: start_timeout is 600 s, which would outlast the test.
    world.cloud.slow(['compute002']);
    compute002DiesAfterCreate(world, dead);
    const result = await growOneDying(world);
    expect(result.ready).toEqual(['frontend001', 'compute001']);
    expect(result.dropped).toEqual([{ name: 'compute002', reason: dead }]);
  });

  it('fails a node that dies during the SSH wait with its reason, not at start_timeout', async () => {
    const dead = 'its container (systemd-nspawn PID 43) exited; console: Freezing execution.';
    // compute002 never answers: only the provider's word that it died ends its wait.
    const waitForSsh: SshWaiter = async (request) => {
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
    };
    world = await clusterWorld({ overrides: { waitForSsh } });
    // Created running, then reported stopped (with the reason) by every describe.
    compute002DiesAfterCreate(world, dead);
    const result = await growOneDying(world);
    expect(result.ready).toEqual(['frontend001', 'compute001']);
    expect(result.dropped).toEqual([{ name: 'compute002', reason: dead }]);
  });
});

/** Once created (the create call answers as it made it), compute002 is stopped for `reason`. */
function compute002DiesAfterCreate(w: ClusterWorld, reason: string): void {
  w.cloud.on('createNodes', (phase) => {
    if (phase !== 'after') return;
    for (const instance of w.cloud.instances.values()) {
      if (instance.name === 'compute002') Object.assign(instance, { state: 'stopped', reason });
    }
  });
}

/** Grows 1 frontend + 2 compute nodes (compute minimum 1) on the world's cloud. */
function growOneDying(w: ClusterWorld) {
  return growCluster({
    deps: w.deps,
    state: clusterState([]),
    template: template(),
    provider: w.cloud.provider,
    desired: new Map([
      ['frontend', 1],
      ['compute', 2],
    ]),
    runId: 'r1',
    publicKey: 'ssh-ed25519 AAAA test',
  });
}
