/**
 * The rest of a cluster's life against the in-memory cloud: `list-nodes -u` (refresh), `setup`
 * (configureCluster and the cluster lock), stopped nodes started again by `start`, and `check`
 * (read-only preflight through the provider).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkEnvironment } from '../../src/cluster/check.js';
import { configureCluster, setupCluster } from '../../src/cluster/configure.js';
import { refreshNodes } from '../../src/cluster/refresh.js';
import type { LoadedConfig } from '../../src/config/types.js';
import { AbortError, AnsibleError, type ProviderError, StateLockError } from '../../src/errors.js';
import { ansibleFailure, type ClusterWorld, clusterWorld } from '../fakes/cluster-world.js';
import {
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

function refresh(w: ClusterWorld) {
  return refreshNodes({ deps: w.deps, name: NAME, cloud: sized(1).cloud });
}

describe('refresh (list-nodes -u)', () => {
  it('records what the cloud reports: gone nodes, new IPs, and keeps ready nodes ready', async () => {
    world = await clusterWorld();
    await start(world, sized(2));
    const state = (await saved(world))!;
    const [, c1, c2] = state.nodes.map((n) => world.cloud.instances.get(n.instanceId!)!);
    c1!.state = 'terminated';
    c2!.publicIps = ['198.51.100.7'];
    const refreshed = await refresh(world);
    expect(refreshed.nodes.map((n) => `${n.name}:${n.state}`)).toEqual([
      'frontend001:ready',
      'compute001:terminated',
      'compute002:ready',
    ]);
    expect((await saved(world))?.nodes[2]?.publicIps).toEqual(['198.51.100.7']);
    expect(world.cloud.callsOf('describeNodes')).toHaveLength(1);
  });

  it('adopts an instance of the cluster that state lacks', async () => {
    world = await clusterWorld();
    await start(world, sized(1));
    const state = (await saved(world))!;
    world.cloud.seed({ name: 'compute002', cluster: { name: NAME, id: state.id }, kind: 'compute' });
    await refresh(world);
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready', 'compute002:running']);
    expect(await expectCloudMatchesState(world)).toHaveLength(3);
  });

  it('a cloud error changes nothing on disk', async () => {
    world = await clusterWorld();
    await start(world, sized(1));
    const before = await savedNodes(world);
    world.cloud.fail('describeNodes', { kind: 'transient' });
    await expect(refresh(world)).rejects.toThrow(/RequestLimitExceeded/);
    expect(await savedNodes(world)).toEqual(before);
  });
});

describe('setup', () => {
  it('records success only when Ansible succeeded', async () => {
    world = await clusterWorld();
    await start(world, sized(1), { setup: false });
    const state = (await saved(world))!;
    world.setupFailures.push(ansibleFailure(['compute001']));
    const error = await configureCluster({ deps: world.deps, state, template: sized(1) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AnsibleError);
    expect((error as AnsibleError).failedHosts).toEqual(['compute001']);
    expect((await saved(world))?.setupCompletedAt).toBeUndefined();
    await configureCluster({ deps: world.deps, state, template: sized(1) });
    expect((await saved(world))?.setupCompletedAt).toBeDefined();
    expect(world.setupRuns).toHaveLength(2);
  });

  it('Ctrl-C during setup is an AbortError that says the nodes keep running', async () => {
    world = await clusterWorld();
    await start(world, sized(1), { setup: false });
    const state = (await saved(world))!;
    const controller = new AbortController();
    world.onSetup = () => controller.abort();
    const error = await configureCluster({
      deps: world.deps,
      state,
      template: sized(1),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).message).toContain('its nodes keep running');
    expect(await expectCloudMatchesState(world)).toHaveLength(2);
  });

  it('herd setup runs Ansible on the saved cluster under its lock and records success', async () => {
    world = await clusterWorld();
    await start(world, sized(1), { setup: false });
    const { state } = await setupCluster({
      deps: world.deps,
      name: NAME,
      templateFor: async (saved) => ({ ...saved.template, cloud: sized(1).cloud }),
      extraArgs: ['--tags', 'slurm'],
    });
    expect(state.setupCompletedAt).toBeDefined();
    expect((await saved(world))?.setupCompletedAt).toBe(state.setupCompletedAt);
    expect(world.setupRuns.map((r) => r.nodes)).toEqual([['frontend001:ready', 'compute001:ready']]);
    // The lock is released: the next command gets it.
    await (await world.deps.repo.lock(NAME)).release();
  });

  it('herd setup refuses while another herd holds the lock, running nothing', async () => {
    world = await clusterWorld();
    await start(world, sized(1), { setup: false });
    const lock = await world.deps.repo.lock(NAME);
    try {
      await expect(
        setupCluster({ deps: world.deps, name: NAME, templateFor: async (saved) => saved.template }),
      ).rejects.toBeInstanceOf(StateLockError);
    } finally {
      await lock.release();
    }
    expect(world.setupRuns).toEqual([]);
  });

  it('a failed herd setup releases the lock and leaves the cluster not set up', async () => {
    world = await clusterWorld();
    await start(world, sized(1), { setup: false });
    world.setupFailures.push(ansibleFailure(['frontend001']));
    const run = () =>
      setupCluster({ deps: world.deps, name: NAME, templateFor: async (saved) => saved.template });
    await expect(run()).rejects.toBeInstanceOf(AnsibleError);
    expect((await saved(world))?.setupCompletedAt).toBeUndefined();
    await run();
    expect((await saved(world))?.setupCompletedAt).toBeDefined();
  });

  it('every command that changes a cluster refuses while another herd holds its lock', async () => {
    world = await clusterWorld();
    await start(world, sized(1));
    const calls = world.cloud.calls.length;
    const lock = await world.deps.repo.lock(NAME);
    try {
      await expect(start(world, sized(1))).rejects.toBeInstanceOf(StateLockError);
      await expect(stop(world)).rejects.toBeInstanceOf(StateLockError);
      await expect(refresh(world)).rejects.toBeInstanceOf(StateLockError);
    } finally {
      await lock.release();
    }
    expect(world.cloud.calls).toHaveLength(calls);
    expect(await expectCloudMatchesState(world)).toHaveLength(2);
  });
});

describe('stopped nodes', () => {
  it('start powers stopped nodes on again and probes them, creating nothing', async () => {
    world = await clusterWorld();
    await start(world, sized(1));
    const state = (await saved(world))!;
    const ids = state.nodes.map((n) => n.instanceId!);
    await world.cloud.provider.stopNodes!({ name: NAME, id: state.id }, ids);
    await refresh(world);
    expect(await savedNodes(world)).toEqual(['frontend001:stopped', 'compute001:stopped']);
    await start(world, sized(1));
    expect(world.cloud.callsOf('startNodes')).toEqual([`startNodes ${ids.join(',')}`]);
    expect(world.cloud.instances.size).toBe(2);
    expect(await savedNodes(world)).toEqual(['frontend001:ready', 'compute001:ready']);
  });

  it('a cloud that cannot start stopped nodes says so and what to do', async () => {
    world = await clusterWorld({ cloud: { stoppable: false } });
    await start(world, sized(1));
    const state = (await saved(world))!;
    for (const n of state.nodes) world.cloud.instances.get(n.instanceId!)!.state = 'stopped';
    await refresh(world);
    const error = await start(world, sized(1)).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('StartNotSupported');
    expect((error as ProviderError).hint).toContain(`herd resize ${NAME} -r`);
  });
});

describe('check', () => {
  function config(): LoadedConfig {
    const tpl = sized(3);
    return {
      files: ['/etc/herd/config'],
      templates: new Map([[tpl.name, tpl]]),
      invalid: new Map(),
      errors: [],
      warnings: [],
      notes: [],
      clouds: new Map(),
      setups: new Map(),
    };
  }
  const ansibleOk = async () => ({
    ok: true as const,
    version: '2.14.3',
    line: 'ansible-playbook [core 2.14.3]',
  });

  it('asks the cloud only read-only questions and reports its findings per template', async () => {
    world = await clusterWorld({ cloud: { quota: 2 } });
    const report = await checkEnvironment({
      deps: world.deps,
      config: config(),
      clouds: [],
      ansibleVersion: ansibleOk,
    });
    expect(world.cloud.calls).toEqual(['preflight slurm']);
    expect(world.cloud.instances.size).toBe(0);
    expect(world.cloud.prepared.size).toBe(0);
    const template = report.sections.find((s) => s.title === 'template/slurm')!;
    expect(template.checks.find((c) => c.id === 'quota')).toMatchObject({ status: 'warn' });
    expect(report.sections.find((s) => s.title === 'cloud/local')?.checks.map((c) => c.id)).toEqual([
      'credentials',
    ]);
    // A warning does not fail the check.
    expect(report.ok).toBe(true);
  });

  it('fails when a kind lacks what the cloud needs, and when Ansible is missing', async () => {
    world = await clusterWorld();
    const loaded = config();
    const tpl = loaded.templates.get('slurm')!;
    tpl.kinds[1]!.settings = {};
    const report = await checkEnvironment({
      deps: world.deps,
      config: loaded,
      clouds: [],
      ansibleVersion: async () => ({ ok: false, reason: 'ansible-playbook: not found' }),
    });
    expect(report.ok).toBe(false);
    const failures = report.sections.flatMap((s) =>
      s.checks.filter((c) => c.status === 'fail').map((c) => c.id),
    );
    expect(failures.sort()).toEqual(['ansible', 'flavor']);
  });

  it('a cloud name the configuration does not use is a usage error, before any cloud call', async () => {
    world = await clusterWorld();
    await expect(
      checkEnvironment({
        deps: world.deps,
        config: config(),
        clouds: ['cloud/nope'],
        ansibleVersion: ansibleOk,
      }),
    ).rejects.toThrow(/No template of the configuration uses cloud "cloud\/nope"/);
    expect(world.cloud.calls).toEqual([]);
  });
});
