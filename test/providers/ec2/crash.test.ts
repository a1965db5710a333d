/**
 * herd killed (SIGKILL) at chosen points of `herd start` on EC2 (moto behind the fault proxy), then
 * `herd stop` must remove everything: no live instance, no security group, key pair or Elastic IP
 * tagged with the cluster. herd is always killed before it could see a running node, so it never
 * reaches the SSH probe (which would send packets to the 10.86.1.x addresses moto hands out).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CliResult,
  EC2_TEST_ENV,
  type HerdInstall,
  hasStackTrace,
  herdInstall,
  makeTempDir,
} from '../../helpers/cli.js';
import { ec2SlurmConfig } from '../../helpers/configs.js';
import { killAtAction } from '../../helpers/ec2-fault-proxy.js';
import { spawnHerd } from '../../helpers/herd-process.js';
import { type Ec2TestEnv, startEc2Env, tagsOf } from './fixture.js';

const CLUSTER = 'crash';

let env: Ec2TestEnv;
let home: { dir: string; cleanup: () => Promise<void> };
let install: HerdInstall;
let subnetId: string;

function config(ec2Url: string, subnet: string): string {
  return ec2SlurmConfig(ec2Url, {
    comment: 'herd crash tests: EC2 through moto behind a fault proxy',
    name: CLUSTER,
    subnetId: subnet,
    after: { start_timeout: 120 },
  });
}

const herd = (args: readonly string[]) => install.herd(args, { timeoutMs: 60_000 });

beforeAll(async () => {
  env = await startEc2Env();
  home = await makeTempDir('herd-ec2-crash-');
});

afterAll(async () => {
  await home?.cleanup();
  await env?.stop();
});

beforeEach(async () => {
  await env.reset();
  // A test that failed half way must not leave its cluster record to the next one.
  await rm(join(home.dir, 'storage'), { recursive: true, force: true });
  const net = await env.network('10.86.0.0/16', [{ cidr: '10.86.1.0/24', name: 'crash-a' }]);
  subnetId = net.subnetIds[0]!;
  install = await herdInstall(home.dir, config(env.proxy.url, subnetId), EC2_TEST_ENV);
});

/**
 * Starts the cluster and SIGKILLs herd when `action` reaches the proxy (`phase`), dropping the call.
 * Whatever happens, herd is killed at its first DescribeInstances after a RunInstances: by then nodes
 * may be running, and herd must not go on to probe them over SSH.
 */
async function startAndKill(
  action: string,
  phase: 'before' | 'after',
  match: (params: URLSearchParams) => boolean = () => true,
): Promise<CliResult> {
  const run = spawnHerd(['start', CLUSTER, '--no-setup'], install.env, 60_000);
  let launched = false;
  killAtAction(env.proxy, run, action, phase, match);
  env.proxy.onAction('RunInstances', 'before', () => {
    launched = true;
  });
  killAtAction(env.proxy, run, 'DescribeInstances', 'before', () => launched);
  const result = await run.done;
  env.proxy.clear();
  return result;
}

interface SavedNode {
  name: string;
  instanceId?: string;
  state: string;
  privateIps: string[];
}

/** `herd list-nodes NAME -u --json`: the nodes after asking EC2 (and saving what it said). */
async function refreshNodes(): Promise<SavedNode[]> {
  const list = await herd(['list-nodes', CLUSTER, '-u', '--json']);
  expect(list.code, list.stderr).toBe(0);
  expect(hasStackTrace(list.stderr)).toBe(false);
  const printed = (JSON.parse(list.stdout) as { nodes: SavedNode[] }).nodes;
  const saved = JSON.parse(await readFile(install.stateFile(CLUSTER), 'utf8'));
  expect(saved.nodes).toEqual(printed);
  return printed;
}

async function expectNothingLeft(): Promise<void> {
  expect(await env.liveInstances(CLUSTER)).toEqual([]);
  expect(await env.groups(CLUSTER)).toEqual([]);
  expect(await env.clusterKeyPairs(CLUSTER)).toEqual([]);
  expect(await env.addresses(CLUSTER)).toEqual([]);
}

async function stopCleanly(): Promise<void> {
  const stop = await herd(['stop', CLUSTER, '--yes']);
  expect(stop.code, stop.stdout + stop.stderr).toBe(0);
  expect(hasStackTrace(stop.stderr)).toBe(false);
  await expectNothingLeft();
  const list = await herd(['list', '--json']);
  expect(JSON.parse(list.stdout).clusters).toEqual([]);
}

describe('herd start killed on EC2, then herd stop', () => {
  it('killed after CreateSecurityGroup: stop deletes the group and the key pair', async () => {
    const r = await startAndKill('CreateSecurityGroup', 'after');
    expect(r.signal, r.stderr).toBe('SIGKILL');
    // Named after the cluster and its id, as every cluster's own resources are.
    expect(await env.groups(CLUSTER)).toEqual([expect.stringMatching(/^herd-crash-[0-9a-f]{8}$/)]);
    expect(await env.clusterKeyPairs(CLUSTER)).toEqual(await env.groups(CLUSTER));
    expect(env.proxy.counts()['RunInstances']).toBeUndefined();
    await stopCleanly();
  });

  it('killed before RunInstances reaches EC2: nothing was launched, stop removes the rest', async () => {
    const r = await startAndKill('RunInstances', 'before');
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(env.proxy.counts()['RunInstances']).toBeGreaterThan(0);
    expect(await env.instances(CLUSTER)).toEqual([]);
    await stopCleanly();
  });

  it('killed right after RunInstances answered: list-nodes -u adopts the untagged instances by launch index', async () => {
    // Killed once the compute batch (2 nodes, named only by herd:nodes at creation) is launched.
    const r = await startAndKill('RunInstances', 'after', (p) => p.get('MinCount') === '2');
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const launched = await env.liveInstances(CLUSTER);
    const compute = launched.filter((i) => tagsOf(i)['herd:kind'] === 'compute');
    expect(compute).toHaveLength(2);
    // herd never got to write the per-node tags.
    expect(compute.map((i) => tagsOf(i)['herd:node'])).toEqual([undefined, undefined]);

    const nodes = await refreshNodes();
    const known = nodes.filter((n) => n.instanceId);
    expect(known.map((n) => n.instanceId).sort()).toEqual(launched.map((i) => i.InstanceId).sort());
    for (const n of known) {
      const instance = launched.find((i) => i.InstanceId === n.instanceId)!;
      const tags = tagsOf(instance);
      // Launch index N of a batch is the N-th name of its herd:nodes list.
      const expected = tags['herd:kind'] === 'compute' ? ['compute001', 'compute002'] : ['frontend001'];
      expect(n.name).toBe(expected[instance.AmiLaunchIndex!]);
      expect(n.state).toBe('running');
      expect(n.privateIps).toEqual([instance.PrivateIpAddress]);
      expect(instance.PrivateIpAddress).toMatch(/^10\.86\.1\.\d+$/);
    }
    expect(known.map((n) => n.name)).toEqual(expect.arrayContaining(['compute001', 'compute002']));
    await stopCleanly();
  });

  it('killed at the first DescribeInstances after launching: stop terminates every node', async () => {
    const r = await startAndKill('DescribeInstances', 'before', () => false);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const launched = await env.liveInstances(CLUSTER);
    expect(launched).toHaveLength(3);
    expect(launched.map((i) => tagsOf(i)['herd:node']).sort()).toEqual([
      'compute001',
      'compute002',
      'frontend001',
    ]);
    await stopCleanly();
  });
});

describe('herd on EC2 without a crash', () => {
  it('list-nodes -u refreshes node states from EC2 without SSH', async () => {
    const r = await startAndKill('DescribeInstances', 'before', () => false);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const [first] = await env.liveInstances(CLUSTER);
    const { TerminateInstancesCommand } = await import('@aws-sdk/client-ec2');
    await env.ec2.send(new TerminateInstancesCommand({ InstanceIds: [first!.InstanceId!] }));
    const nodes = await refreshNodes();
    const states = Object.fromEntries(nodes.map((n) => [n.instanceId, n.state]));
    expect(states[first!.InstanceId!]).toBe('terminated');
    expect(Object.values(states).filter((s) => s === 'running')).toHaveLength(2);
    await stopCleanly();
  });

  it('a start that EC2 refuses leaves nothing behind and no cluster record', async () => {
    env.proxy.failAction('DescribeKeyPairs', {
      code: 'AuthFailure',
      message: 'AWS was not able to validate the provided access credentials',
    });
    const start = await herd(['start', CLUSTER, '--no-setup']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('herd: error [Ec2AuthFailed]: ');
    expect(start.stderr).toMatch(/\[cloud\/aws\] EC2 refused the credentials in ec2_region=us-east-1/);
    expect(start.stderr).toMatch(/ec2_access_key/);
    expect(hasStackTrace(start.stderr)).toBe(false);
    expect(env.proxy.counts()['RunInstances']).toBeUndefined();
    const list = await herd(['list', '--json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([]);
    await expectNothingLeft();
  });
});
