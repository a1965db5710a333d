/**
 * The pause/resume state machine against a cloud double that keeps instance states: the intent is
 * saved before every cloud call, a pause or resume cut short is finished by running it again, nodes
 * that cannot be stopped are named before anything is stopped, a changed host key fails the resume,
 * changed addresses re-run the setup, and every command that needs running nodes refuses a paused cluster.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { pauseCluster } from '../../src/cluster/pause.js';
import { assertNotPaused } from '../../src/cluster/paused.js';
import { execOnCluster } from '../../src/cluster/remote.js';
import { resumeCluster } from '../../src/cluster/resume.js';
import { stopCluster } from '../../src/cluster/stop.js';
import { ExitCode, type HerdError } from '../../src/errors.js';
import type { NodeStatus, Provider } from '../../src/providers/types.js';
import type { ClusterState, NodeLifecycle } from '../../src/state/types.js';
import { clusterState, node, template } from '../ssh/fixtures.js';
import { stubProvider, testDeps } from './deps-fixture.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A cloud that keeps each instance's state and address; `on` may fail a call once. */
class Cloud {
  readonly calls: string[] = [];
  readonly states = new Map<string, NodeLifecycle>();
  readonly ips = new Map<string, string>();
  /** Thrown by the next stop or start call (then cleared). */
  failNext: { call: 'stop' | 'start'; error: Error } | undefined;
  /** Saved state files seen at each cloud call: proves the intent was written first. */
  readonly seen: (string | undefined)[] = [];

  constructor(
    ids: Record<string, string>,
    private readonly deps: () => ClusterDeps,
  ) {
    for (const [id, ip] of Object.entries(ids)) {
      this.states.set(id, 'running');
      this.ips.set(id, ip);
    }
  }

  provider(overrides: Partial<Provider> = {}): Provider {
    const status = (id: string): NodeStatus => ({
      instanceId: id,
      name: undefined,
      state: this.states.get(id) ?? 'terminated',
      publicIps: [],
      privateIps: this.ips.has(id) ? [this.ips.get(id)!] : [],
    });
    return stubProvider({
      describeNodes: async (_ref, ids) => ids.map(status),
      findNodes: async () =>
        [...this.states.keys()].filter((id) => this.states.get(id) !== 'terminated').map(status),
      stopNodes: async (_ref, ids) => this.act('stop', ids, 'stopped'),
      startNodes: async (_ref, ids) => this.act('start', ids, 'running'),
      terminateNodes: async (_ref, ids) => {
        this.calls.push(`terminate ${ids.join(',')}`);
        for (const id of ids) this.states.delete(id);
      },
      ...overrides,
    });
  }

  private async act(call: 'stop' | 'start', ids: readonly string[], to: NodeLifecycle): Promise<void> {
    this.calls.push(`${call} ${ids.join(',')}`);
    this.seen.push((await this.deps().repo.load('mycluster')).pause?.phase);
    if (this.failNext?.call === call) {
      const { error } = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    for (const id of ids) this.states.set(id, to);
  }
}

interface Fixture {
  deps: ClusterDeps;
  cloud: Cloud;
  state: ClusterState;
  probed: string[][];
  setups: number;
  /** The extra ansible-playbook arguments of each setup run. */
  setupArgs: (readonly string[] | undefined)[];
}

async function fixture(
  overrides: Partial<Provider> = {},
  depOverrides: Partial<ClusterDeps> = {},
): Promise<Fixture> {
  let deps: ClusterDeps | undefined;
  const cloud = new Cloud({ 'i-f1': '192.0.2.10', 'i-c1': '192.0.2.11', 'i-c2': '192.0.2.12' }, () => deps!);
  const provider = cloud.provider(overrides);
  const probed: string[][] = [];
  const f = { setups: 0, setupArgs: [] } as unknown as Fixture;
  const made = await testDeps(
    {
      createProvider: async () => provider,
      playbooksDir: '/opt/herd/playbooks', // where template() finds site.yml
      runSetup: async (request) => {
        f.setups++;
        f.setupArgs.push(request.extraArgs);
      },
      ...depOverrides,
    },
    probed,
  );
  deps = made.deps;
  dir = made.dir;
  const state = clusterState([
    node('frontend001', '192.0.2.10', { instanceId: 'i-f1', hostKey: 'ssh-ed25519 AAAA' }),
    node('compute001', '192.0.2.11', { instanceId: 'i-c1', hostKey: 'ssh-ed25519 AAAA' }),
    node('compute002', '192.0.2.12', { instanceId: 'i-c2', hostKey: 'ssh-ed25519 AAAA' }),
  ]);
  state.setupCompletedAt = '2025-01-01T00:00:00.000Z';
  await made.deps.repo.save(state);
  return Object.assign(f, { deps: made.deps, cloud, state, probed });
}

const pause = (f: Fixture, terminateUnstoppable = false) =>
  pauseCluster({ deps: f.deps, name: 'mycluster', cloud: f.state.template.cloud, terminateUnstoppable });
const resume = (f: Fixture, setup = true) =>
  resumeCluster({ deps: f.deps, name: 'mycluster', template: template(), setup });
const states = async (f: Fixture) => (await f.deps.repo.load('mycluster')).nodes.map((n) => n.state);

describe('pause', () => {
  it('records the intent, stops every node in one call and records the cluster paused', async () => {
    const f = await fixture();
    const result = await pause(f);
    expect(f.cloud.calls).toEqual(['stop i-f1,i-c1,i-c2']);
    expect(f.cloud.seen).toEqual(['pausing']);
    expect(result.stopped).toEqual(['frontend001', 'compute001', 'compute002']);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.pause).toMatchObject({ phase: 'paused', by: 'user' });
    expect(saved.nodes.map((n) => n.state)).toEqual(['stopped', 'stopped', 'stopped']);
    // Host keys stay pinned across the pause.
    expect(saved.nodes.every((n) => n.hostKey === 'ssh-ed25519 AAAA')).toBe(true);
  });

  it('a pause cut short is finished by running it again', async () => {
    const f = await fixture();
    f.cloud.failNext = { call: 'stop', error: new Error('connection reset') };
    await expect(pause(f)).rejects.toThrow('connection reset');
    const cut = await f.deps.repo.load('mycluster');
    expect(cut.pause?.phase).toBe('pausing');
    expect(cut.nodes.map((n) => n.state)).toEqual(['stopping', 'stopping', 'stopping']);
    await pause(f);
    expect(await states(f)).toEqual(['stopped', 'stopped', 'stopped']);
    expect((await f.deps.repo.load('mycluster')).pause?.phase).toBe('paused');
  });

  it('pausing a paused cluster does nothing', async () => {
    const f = await fixture();
    await pause(f);
    const again = await pause(f);
    expect(again.alreadyPaused).toBe(true);
    expect(f.cloud.calls).toEqual(['stop i-f1,i-c1,i-c2']);
  });

  it('names the nodes that cannot be stopped before stopping anything', async () => {
    const f = await fixture({
      unstoppableKinds: (kinds) =>
        kinds
          .filter((k) => k.kind === 'compute')
          .map((k) => ({ kind: k.kind, reason: 'a one-time spot instance' })),
    });
    const error = (await pause(f).catch((e: unknown) => e)) as HerdError;
    expect(error.code).toBe('NodesUnstoppable');
    expect(error.message).toContain('compute001 (a one-time spot instance), compute002');
    expect(error.hint).toContain('--terminate-unstoppable');
    expect(f.cloud.calls).toEqual([]);
    expect((await f.deps.repo.load('mycluster')).pause).toBeUndefined();
  });

  it('--terminate-unstoppable terminates them, stops the rest, and resume brings back the rest', async () => {
    const f = await fixture({
      unstoppableKinds: (kinds) =>
        kinds.filter((k) => k.kind === 'compute').map((k) => ({ kind: k.kind, reason: 'spot' })),
    });
    const result = await pause(f, true);
    expect(result.terminated).toEqual(['compute001', 'compute002']);
    expect(f.cloud.calls).toEqual(['terminate i-c1,i-c2', 'stop i-f1']);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.nodes.map((n) => n.name)).toEqual(['frontend001']);
    await resume(f);
    expect(await states(f)).toEqual(['ready']);
  });

  it('refuses a cluster with a failed node, naming it', async () => {
    const f = await fixture();
    f.state.nodes[2]!.state = 'failed';
    f.state.nodes[2]!.error = 'SSH: no answer';
    await f.deps.repo.save(f.state);
    const error = (await pause(f).catch((e: unknown) => e)) as HerdError;
    expect(error.code).toBe('ClusterNotPausable');
    expect(error.message).toContain('compute002 is failed (SSH: no answer)');
    expect(f.cloud.calls).toEqual([]);
  });

  it('fails clearly on a provider that cannot stop nodes', async () => {
    const f = await fixture({ stopNodes: undefined, startNodes: undefined });
    const error = (await pause(f).catch((e: unknown) => e)) as HerdError;
    expect(error.code).toBe('PauseNotSupported');
  });
});

describe('a paused cluster', () => {
  it('refuses commands that need running nodes with exit code 3 and the way out', async () => {
    const f = await fixture();
    await pause(f);
    const saved = await f.deps.repo.load('mycluster');
    const error = (() => {
      try {
        assertNotPaused(saved);
      } catch (e) {
        return e as HerdError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('ClusterPaused');
    expect(error?.exitCode).toBe(ExitCode.Paused);
    expect(error?.message).toContain('paused: run herd resume mycluster');
    await expect(
      execOnCluster({
        state: saved,
        selector: { words: [], kinds: [], all: true },
        fanout: 1,
        command: 'true',
      }),
    ).rejects.toMatchObject({ code: 'ClusterPaused' });
  });

  it('stop terminates its stopped nodes and forgets it', async () => {
    const f = await fixture();
    await pause(f);
    const result = await stopCluster({
      deps: f.deps,
      name: 'mycluster',
      cloud: f.state.template.cloud,
      force: false,
      wait: false,
    });
    expect(result.terminated).toEqual(['i-f1', 'i-c1', 'i-c2']);
    expect(await f.deps.repo.tryLoad('mycluster')).toBeUndefined();
  });
});

describe('resume', () => {
  it('starts every node in one call, probes with the pinned keys, and clears the pause', async () => {
    const f = await fixture();
    await pause(f);
    const result = await resume(f);
    expect(f.cloud.calls).toEqual(['stop i-f1,i-c1,i-c2', 'start i-f1,i-c1,i-c2']);
    expect(f.cloud.seen).toEqual(['pausing', 'resuming']);
    expect(result.started).toEqual(['frontend001', 'compute001', 'compute002']);
    expect(result.addressesChanged).toEqual([]);
    expect(result.setupRan).toBe(false);
    expect(f.setups).toBe(0);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.pause).toBeUndefined();
    expect(saved.nodes.map((n) => n.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('passes the pinned host keys to the SSH wait and fails when a node answers with another key', async () => {
    const pinned: (string | undefined)[] = [];
    const f = await fixture(
      {},
      {
        waitForSsh: async (request) => {
          pinned.push(...request.nodes.map((n) => n.pinnedHostKey));
          return new Map(
            request.nodes.map((n) => [
              n.name,
              n.name === 'compute002'
                ? { ok: false as const, reason: 'host key changed' }
                : { ok: true as const, ip: n.ips[0]!, hostKey: 'ssh-ed25519 AAAA' },
            ]),
          );
        },
      },
    );
    await pause(f);
    const error = (await resume(f).catch((e: unknown) => e)) as HerdError;
    expect(pinned).toEqual(['ssh-ed25519 AAAA', 'ssh-ed25519 AAAA', 'ssh-ed25519 AAAA']);
    expect(error.code).toBe('ResumeFailed');
    expect(error.message).toContain('compute002: SSH: host key changed');
    const saved = await f.deps.repo.load('mycluster');
    // Still resuming: the commands that need every node keep refusing until a resume succeeds.
    expect(saved.pause?.phase).toBe('resuming');
    expect(saved.nodes.find((n) => n.name === 'compute002')?.hostKey).toBe('ssh-ed25519 AAAA');
  });

  it('a resume cut short is finished by running it again, which re-runs the setup', async () => {
    const f = await fixture();
    await pause(f);
    f.cloud.failNext = { call: 'start', error: new Error('throttled') };
    await expect(resume(f)).rejects.toThrow('throttled');
    expect((await f.deps.repo.load('mycluster')).pause?.phase).toBe('resuming');
    const result = await resume(f);
    expect(await states(f)).toEqual(['ready', 'ready', 'ready']);
    expect(result.setupRan).toBe(true);
  });

  it('re-runs the setup when an address changed, and only then', async () => {
    const f = await fixture();
    await pause(f);
    f.cloud.ips.set('i-c1', '192.0.2.51');
    const result = await resume(f);
    expect(result.addressesChanged).toEqual(['compute001']);
    expect(result.setupRan).toBe(true);
    expect(f.setups).toBe(1);
    // Of the bundled playbooks, only the roles that read addresses.
    expect(f.setupArgs).toEqual([['--tags', 'addresses']]);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.nodes.find((n) => n.name === 'compute001')?.preferredIp).toBe('192.0.2.51');
  });

  it("runs a playbook of the user's own in full when an address changed", async () => {
    const f = await fixture();
    await pause(f);
    f.cloud.ips.set('i-c1', '192.0.2.51');
    const own = template();
    const result = await resumeCluster({
      deps: f.deps,
      name: 'mycluster',
      template: { ...own, setup: { ...own.setup, playbookPath: '/srv/site/my-playbook.yml' } },
      setup: true,
    });
    expect(result.setupRan).toBe(true);
    expect(f.setupArgs).toEqual([undefined]);
  });

  it('--no-setup leaves the setup to the user when an address changed', async () => {
    const f = await fixture();
    await pause(f);
    f.cloud.ips.set('i-c1', '192.0.2.51');
    const result = await resume(f, false);
    expect(result.setupRan).toBe(false);
    expect(f.setups).toBe(0);
  });

  it('resumes a cluster whose nodes stopped themselves (no pause record)', async () => {
    const f = await fixture();
    for (const id of ['i-f1', 'i-c1', 'i-c2']) f.cloud.states.set(id, 'stopped');
    const result = await resume(f);
    expect(result.started).toEqual(['frontend001', 'compute001', 'compute002']);
    expect(await states(f)).toEqual(['ready', 'ready', 'ready']);
  });

  it('does nothing on a running cluster', async () => {
    const f = await fixture();
    const result = await resume(f);
    expect(result.alreadyRunning).toBe(true);
    expect(f.cloud.calls).toEqual([]);
  });
});
