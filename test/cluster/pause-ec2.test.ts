/**
 * Pause and resume through the EC2 provider against moto_server (a real EC2 API), counting the calls
 * that reach it: one StopInstances and one StartInstances for the whole cluster, the instances really
 * stopped and running again, and a spot kind named before anything is stopped. SSH is the world's
 * readyAtFirstIp double (no machine answers behind moto's instances; the local e2e test covers SSH).
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterDeps } from '../../src/cluster/deps.js';
import { pauseCluster } from '../../src/cluster/pause.js';
import { resumeCluster } from '../../src/cluster/resume.js';
import type { HerdError } from '../../src/errors.js';
import type { Provider } from '../../src/providers/types.js';
import type { ClusterState } from '../../src/state/types.js';
import { type ClusterWorld, clusterWorld, readyAtFirstIp } from '../fakes/cluster-world.js';
import { runHerd } from '../helpers/cli.js';
import { ec2Cloud, slurmConfig } from '../helpers/configs.js';
import { AMI, type Ec2TestEnv, LAB, nodeSpecs, startEc2Env } from '../providers/ec2/fixture.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';

let env: Ec2TestEnv;
let world: ClusterWorld | undefined;
let dir: string | undefined;
beforeAll(async () => {
  env = await startEc2Env();
});
afterAll(async () => {
  await world?.dispose();
  await env?.stop();
});
beforeEach(async () => {
  await env.reset();
  await world?.dispose();
  world = undefined;
  dir = undefined;
});

const ec2Template = (computeSettings: Record<string, string | boolean> = {}) =>
  template({
    cloud: { name: 'aws', provider: 'ec2_boto', settings: {} },
    kinds: [
      { ...kind('frontend', ['slurm_master']), settings: { image_id: AMI, flavor: 't3.micro' } },
      {
        ...kind('compute', ['slurm_worker']),
        settings: { image_id: AMI, flavor: 't3.micro', ...computeSettings },
      },
    ],
    // Nothing answers SSH behind moto: a resume through the CLI gives up on it quickly.
    cluster: { sshTo: undefined, sshProbeTimeout: 1, startTimeout: 3, sshProxyCommand: undefined },
  });

/** A cluster of 1 frontend + 2 compute instances in moto, recorded in a state file. */
async function cluster(
  computeSettings: Record<string, string | boolean> = {},
): Promise<{ deps: ClusterDeps; provider: Provider; state: ClusterState }> {
  const { provider } = await env.provider();
  const login = { user: 'admin', publicKey: env.publicKey, keyName: undefined };
  await provider.prepare(LAB, login);
  const nodes = [];
  for (const [k, n] of [
    ['frontend', 1],
    ['compute', 2],
  ] as const) {
    const result = await provider.createNodes({
      cluster: LAB,
      runId: 'run1',
      template: 'lab',
      kind: k,
      nodes: nodeSpecs(LAB, k, n),
      settings: { image_id: AMI, flavor: 't3.micro' },
      login,
    });
    for (const c of result.created) {
      nodes.push(node(c.name, c.privateIps[0]!, { instanceId: c.instanceId, hostKey: 'ssh-ed25519 AAAA' }));
    }
  }
  world = await clusterWorld({
    overrides: { createProvider: async () => provider, waitForSsh: readyAtFirstIp() },
  });
  dir = world.dir;
  const state = { ...clusterState(nodes, ec2Template(computeSettings)), name: LAB.name, id: LAB.id };
  await world.deps.repo.save(state);
  env.proxy.resetCounts();
  return { deps: world.deps, provider, state };
}

const instanceStates = async () =>
  Object.fromEntries(
    (await env.instances('lab')).map((i) => [
      i.Tags?.find((t) => t.Key === 'herd:node')?.Value,
      i.State?.Name,
    ]),
  );

describe('pause and resume on EC2 (moto)', () => {
  it('stops every instance with one StopInstances and starts them with one StartInstances', async () => {
    const { deps, state } = await cluster();
    const paused = await pauseCluster({
      deps,
      name: 'lab',
      cloud: state.template.cloud,
      terminateUnstoppable: false,
    });
    expect(paused.stopped).toEqual(['frontend001', 'compute001', 'compute002']);
    expect(env.proxy.counts()['StopInstances']).toBe(1);
    expect(Object.values(await instanceStates())).toEqual(['stopped', 'stopped', 'stopped']);
    expect((await deps.repo.load('lab')).pause?.phase).toBe('paused');

    const resumed = await resumeCluster({ deps, name: 'lab', template: ec2Template(), setup: true });
    expect(resumed.started).toEqual(['frontend001', 'compute001', 'compute002']);
    expect(env.proxy.counts()['StartInstances']).toBe(1);
    expect(Object.values(await instanceStates())).toEqual(['running', 'running', 'running']);
    const saved = await deps.repo.load('lab');
    expect(saved.pause).toBeUndefined();
    expect(saved.nodes.map((n) => n.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('names spot nodes before stopping anything; --terminate-unstoppable terminates them and stops the rest', async () => {
    const { deps, state } = await cluster({ spot: true });
    const refused = (await pauseCluster({
      deps,
      name: 'lab',
      cloud: state.template.cloud,
      terminateUnstoppable: false,
    }).catch((e: unknown) => e)) as HerdError;
    expect(refused.code).toBe('NodesUnstoppable');
    expect(refused.message).toContain('compute001 (a one-time spot instance');
    expect(env.proxy.counts()['StopInstances']).toBeUndefined();
    expect(Object.values(await instanceStates())).toEqual(['running', 'running', 'running']);

    const paused = await pauseCluster({
      deps,
      name: 'lab',
      cloud: state.template.cloud,
      terminateUnstoppable: true,
    });
    expect(paused.terminated).toEqual(['compute001', 'compute002']);
    expect(await instanceStates()).toEqual({
      frontend001: 'stopped',
      compute001: 'terminated',
      compute002: 'terminated',
    });
  });
});

describe('herd pause and resume (the built CLI) on EC2 (moto)', () => {
  it('pauses, shows the cluster paused, refuses exec with exit 3, and resume starts the instances', async () => {
    const { state } = await cluster();
    const config = join(dir!, 'config');
    await writeFile(
      config,
      slurmConfig({
        cloud: ec2Cloud(env.moto.url),
        login: { name: 'debian', settings: { image_user: 'admin' } },
        cluster: { image_id: AMI, flavor: 't3.micro' },
      }),
    );
    const herd = (args: string[]) =>
      runHerd(args, { env: { HOME: dir, HERD_CONFIG: config, HERD_STORAGE: dir }, timeoutMs: 120_000 });
    expect(state.template.cloud.name).toBe('aws');
    // The cluster's key pair, as start leaves it beside the state file (resume probes SSH with it).
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir!, 'lab.key')]);

    const pause = await herd(['pause', 'lab', '--json']);
    expect(pause.code, pause.stderr).toBe(0);
    expect(JSON.parse(pause.stdout)).toMatchObject({ stopped: ['frontend001', 'compute001', 'compute002'] });
    expect(Object.values(await instanceStates())).toEqual(['stopped', 'stopped', 'stopped']);

    const nodes = JSON.parse((await herd(['list-nodes', 'lab', '-u', '--json'])).stdout) as {
      paused: { phase: string; by: string };
      nodes: { state: string }[];
    };
    expect(nodes.paused).toMatchObject({ phase: 'paused', by: 'user' });
    expect(nodes.nodes.map((n) => n.state)).toEqual(['stopped', 'stopped', 'stopped']);

    const exec = await herd(['exec', 'lab', '--', 'true']);
    expect(exec.code).toBe(3);
    expect(exec.stderr).toContain(
      'herd: error [ClusterPaused]: Cluster "lab" is paused: paused: run herd resume lab',
    );

    // The instances start; nothing answers SSH behind moto, which resume reports (and keeps the record).
    const resume = await herd(['resume', 'lab']);
    expect(resume.code).toBe(1);
    expect(resume.stderr).toContain('[ResumeFailed]');
    expect(Object.values(await instanceStates())).toEqual(['running', 'running', 'running']);
    const again = await herd(['ssh', 'lab', '--', 'true']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('being resumed');
  });
});
