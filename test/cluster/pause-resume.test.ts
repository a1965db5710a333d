/**
 * The pause/resume state machine against the in-memory cloud (test/fakes): the intent is saved before
 * every cloud call, a pause or resume cut short is finished by running it again, nodes that cannot be
 * stopped are named before anything is stopped, a changed host key fails the resume, changed
 * addresses re-run the setup, and every command that needs running nodes refuses a paused cluster.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pauseCluster } from '../../src/cluster/pause.js';
import { assertNotPaused } from '../../src/cluster/paused.js';
import { execOnCluster } from '../../src/cluster/remote.js';
import { resumeCluster } from '../../src/cluster/resume.js';
import { stopCluster } from '../../src/cluster/stop.js';
import { ExitCode, type HerdError } from '../../src/errors.js';
import type { Provider } from '../../src/providers/types.js';
import type { ClusterState } from '../../src/state/types.js';
import { type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import type { MemoryCloud, MemoryCloudOptions } from '../fakes/memory-provider.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

let world: ClusterWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** The instances of the cluster: instance id -> node name and private address. */
const INSTANCES = { 'i-f1': 'frontend001', 'i-c1': 'compute001', 'i-c2': 'compute002' } as const;
const IPS: Record<keyof typeof INSTANCES, string> = {
  'i-f1': '192.0.2.10',
  'i-c1': '192.0.2.11',
  'i-c2': '192.0.2.12',
};

/** The host key the world's SSH double answers with for an instance (pinned at creation). */
const hostKey = (id: string) => `ssh-ed25519 HOSTKEY-${id}`;

interface Fixture {
  deps: ClusterWorld['deps'];
  world: ClusterWorld;
  cloud: MemoryCloud;
  state: ClusterState;
  /** The calls that change instances: `stop i-f1,...`, `start ...`, `terminate ...`. */
  readonly calls: string[];
  /** The saved pause phase at each stop and start call: proves the intent was written first. */
  readonly seen: (string | undefined)[];
  /** Setup runs so far. */
  readonly setups: number;
}

/** Cluster `mycluster` of three running instances, recorded in state with their pinned host keys. */
async function fixture(
  options: { cloud?: MemoryCloudOptions; provider?: Partial<Provider> } = {},
): Promise<Fixture> {
  const w = await clusterWorld({ cloud: options.cloud ?? {} });
  world = w;
  Object.assign(w.cloud.provider, options.provider);
  for (const [id, name] of Object.entries(INSTANCES)) {
    w.cloud.seed({
      instanceId: id,
      name,
      cluster: { name: 'mycluster', id: undefined },
      privateIps: [IPS[id as keyof typeof INSTANCES]],
    });
  }
  const seen: (string | undefined)[] = [];
  for (const method of ['stopNodes', 'startNodes'] as const) {
    w.cloud.on(method, async (phase) => {
      if (phase === 'before') seen.push((await w.deps.repo.load('mycluster')).pause?.phase);
    });
  }
  const state = clusterState(
    Object.entries(INSTANCES).map(([id, name]) =>
      node(name, IPS[id as keyof typeof INSTANCES], { instanceId: id, hostKey: hostKey(id) }),
    ),
  );
  state.setupCompletedAt = '2025-01-01T00:00:00.000Z';
  await w.deps.repo.save(state);
  const verbs: Record<string, string> = {
    stopNodes: 'stop',
    startNodes: 'start',
    terminateNodes: 'terminate',
  };
  return {
    deps: w.deps,
    world: w,
    cloud: w.cloud,
    state,
    seen,
    get calls() {
      return w.cloud.calls.flatMap((c) => {
        const [method, args] = c.split(' ');
        const verb = verbs[method ?? ''];
        return verb ? [`${verb} ${args}`] : [];
      });
    },
    get setups() {
      return w.setupRuns.length;
    },
  };
}

/** Sets what the cloud says about instance `id`. */
function setInstance(f: Fixture, id: string, change: { state?: 'stopped'; privateIps?: string[] }): void {
  Object.assign(f.cloud.instances.get(id)!, change);
}

const pause = (f: Fixture, terminateUnstoppable = false) =>
  pauseCluster({ deps: f.deps, name: 'mycluster', cloud: f.state.template.cloud, terminateUnstoppable });
/** Resumes with the template of the bundled playbooks (or `playbookPath`, a playbook of the user's own). */
const resume = (f: Fixture, setup = true, playbookPath = join(f.deps.playbooksDir, 'site.yml')) => {
  const t = template();
  return resumeCluster({
    deps: f.deps,
    name: 'mycluster',
    template: { ...t, setup: { ...t.setup, playbookPath } },
    setup,
  });
};
const states = async (f: Fixture) => (await f.deps.repo.load('mycluster')).nodes.map((n) => n.state);

describe('pause', () => {
  it('records the intent, stops every node in one call and records the cluster paused', async () => {
    const f = await fixture();
    const result = await pause(f);
    expect(f.calls).toEqual(['stop i-f1,i-c1,i-c2']);
    expect(f.seen).toEqual(['pausing']);
    expect(result.stopped).toEqual(['frontend001', 'compute001', 'compute002']);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.pause).toMatchObject({ phase: 'paused', by: 'user' });
    expect(saved.nodes.map((n) => n.state)).toEqual(['stopped', 'stopped', 'stopped']);
    // Host keys stay pinned across the pause.
    expect(saved.nodes.map((n) => n.hostKey)).toEqual(['i-f1', 'i-c1', 'i-c2'].map(hostKey));
  });

  it('a pause cut short is finished by running it again', async () => {
    const f = await fixture();
    f.cloud.fail('stopNodes', { kind: 'transient' });
    await expect(pause(f)).rejects.toThrow('RequestLimitExceeded');
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
    expect(f.calls).toEqual(['stop i-f1,i-c1,i-c2']);
  });

  it('names the nodes that cannot be stopped before stopping anything', async () => {
    const f = await fixture({
      provider: {
        unstoppableKinds: (kinds) =>
          kinds
            .filter((k) => k.kind === 'compute')
            .map((k) => ({ kind: k.kind, reason: 'a one-time spot instance' })),
      },
    });
    const error = (await pause(f).catch((e: unknown) => e)) as HerdError;
    expect(error.code).toBe('NodesUnstoppable');
    expect(error.message).toContain('compute001 (a one-time spot instance), compute002');
    expect(error.hint).toContain('--terminate-unstoppable');
    expect(f.calls).toEqual([]);
    expect((await f.deps.repo.load('mycluster')).pause).toBeUndefined();
  });

  it('--terminate-unstoppable terminates them, stops the rest, and resume brings back the rest', async () => {
    const f = await fixture({
      provider: {
        unstoppableKinds: (kinds) =>
          kinds.filter((k) => k.kind === 'compute').map((k) => ({ kind: k.kind, reason: 'spot' })),
      },
    });
    const result = await pause(f, true);
    expect(result.terminated).toEqual(['compute001', 'compute002']);
    expect(f.calls).toEqual(['terminate i-c1,i-c2', 'stop i-f1']);
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
    expect(f.calls).toEqual([]);
  });

  it('fails clearly on a provider that cannot stop nodes', async () => {
    const f = await fixture({ cloud: { stoppable: false } });
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
    expect(f.calls).toEqual(['stop i-f1,i-c1,i-c2', 'start i-f1,i-c1,i-c2']);
    expect(f.seen).toEqual(['pausing', 'resuming']);
    expect(result.started).toEqual(['frontend001', 'compute001', 'compute002']);
    expect(result.addressesChanged).toEqual([]);
    expect(result.setupRan).toBe(false);
    expect(f.setups).toBe(0);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.pause).toBeUndefined();
    expect(saved.nodes.map((n) => n.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('passes the pinned host keys to the SSH wait and fails when a node answers with another key', async () => {
    const f = await fixture();
    // compute002's instance answers with its own key, not the one pinned for compute002.
    const other = 'ssh-ed25519 OTHERKEY';
    f.state.nodes[2]!.hostKey = other;
    await f.deps.repo.save(f.state);
    const pinned: (string | undefined)[] = [];
    const answer = f.deps.waitForSsh;
    f.deps.waitForSsh = (request) => {
      pinned.push(...request.nodes.map((n) => n.pinnedHostKey));
      return answer(request);
    };
    await pause(f);
    const error = (await resume(f).catch((e: unknown) => e)) as HerdError;
    expect(pinned).toEqual([hostKey('i-f1'), hostKey('i-c1'), other]);
    expect(error.code).toBe('ResumeFailed');
    expect(error.message).toContain('compute002: SSH: host key of 192.0.2.12 changed');
    const saved = await f.deps.repo.load('mycluster');
    // Still resuming: the commands that need every node keep refusing until a resume succeeds.
    expect(saved.pause?.phase).toBe('resuming');
    expect(saved.nodes.find((n) => n.name === 'compute002')?.hostKey).toBe(other);
  });

  it('a resume cut short is finished by running it again, which re-runs the setup', async () => {
    const f = await fixture();
    await pause(f);
    f.cloud.fail('startNodes', { kind: 'transient' });
    await expect(resume(f)).rejects.toThrow('RequestLimitExceeded');
    expect((await f.deps.repo.load('mycluster')).pause?.phase).toBe('resuming');
    const result = await resume(f);
    expect(await states(f)).toEqual(['ready', 'ready', 'ready']);
    expect(result.setupRan).toBe(true);
  });

  it('re-runs the setup when an address changed, and only then', async () => {
    const f = await fixture();
    await pause(f);
    setInstance(f, 'i-c1', { privateIps: ['192.0.2.51'] });
    const result = await resume(f);
    expect(result.addressesChanged).toEqual(['compute001']);
    expect(result.setupRan).toBe(true);
    expect(f.setups).toBe(1);
    // Of the bundled playbooks, only the roles that read addresses.
    expect(f.world.setupRuns.map((r) => r.extraArgs)).toEqual([['--tags', 'addresses']]);
    const saved = await f.deps.repo.load('mycluster');
    expect(saved.nodes.find((n) => n.name === 'compute001')?.preferredIp).toBe('192.0.2.51');
  });

  it("runs a playbook of the user's own in full when an address changed", async () => {
    const f = await fixture();
    await pause(f);
    setInstance(f, 'i-c1', { privateIps: ['192.0.2.51'] });
    const result = await resume(f, true, '/srv/site/my-playbook.yml');
    expect(result.setupRan).toBe(true);
    expect(f.world.setupRuns.map((r) => r.extraArgs)).toEqual([undefined]);
  });

  it('--no-setup leaves the setup to the user when an address changed', async () => {
    const f = await fixture();
    await pause(f);
    setInstance(f, 'i-c1', { privateIps: ['192.0.2.51'] });
    const result = await resume(f, false);
    expect(result.setupRan).toBe(false);
    expect(f.setups).toBe(0);
  });

  it('resumes a cluster whose nodes stopped themselves (no pause record)', async () => {
    const f = await fixture();
    for (const id of ['i-f1', 'i-c1', 'i-c2']) setInstance(f, id, { state: 'stopped' });
    const result = await resume(f);
    expect(result.started).toEqual(['frontend001', 'compute001', 'compute002']);
    expect(await states(f)).toEqual(['ready', 'ready', 'ready']);
  });

  it('does nothing on a running cluster', async () => {
    const f = await fixture();
    const result = await resume(f);
    expect(result.alreadyRunning).toBe(true);
    expect(f.calls).toEqual([]);
  });
});
