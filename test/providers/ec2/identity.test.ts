/**
 * Two herd installs (two storage directories) in one EC2 account, each with a cluster named `slurm`:
 * neither adopts, lists, stops or cleans up the other's instances, key pair or security group, and
 * each says which instances carry its name but belong to another cluster. Runs against moto behind
 * the fault proxy; herd is killed at its first DescribeInstances after launching, so it never probes
 * SSH at the addresses moto hands out.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRef } from '../../../src/providers/types.js';
import { STATE_VERSION } from '../../../src/state/index.js';
import {
  EC2_TEST_ENV,
  type HerdInstall,
  hasStackTrace,
  herdInstall,
  makeTempDir,
} from '../../helpers/cli.js';
import { ec2SlurmConfig } from '../../helpers/configs.js';
import { killSpawnedHerds, spawnHerd } from '../../helpers/herd-process.js';
import { AMI, type Ec2TestEnv, startEc2Env, tagsOf } from './fixture.js';

const CLUSTER = 'slurm';

/** The config both installs use; `sharedKey` names one login key pair for both (user_key_name). */
function config(ec2Url: string, subnet: string, sharedKey: string | undefined, name = CLUSTER): string {
  return ec2SlurmConfig(ec2Url, {
    name,
    subnetId: subnet,
    login: sharedKey
      ? { user_key_name: 'herd-shared', user_key_private: sharedKey, user_key_public: `${sharedKey}.pub` }
      : {},
    neverProbe: true,
  });
}

let env: Ec2TestEnv;
let root: { dir: string; cleanup: () => Promise<void> };
let a: HerdInstall;
let b: HerdInstall;

/** `herd start slurm --no-setup`, SIGKILLed at its first DescribeInstances after a RunInstances. */
async function startUntilLaunched(who: HerdInstall): Promise<string> {
  const run = spawnHerd(['start', CLUSTER, '--no-setup'], who.env, 120_000);
  run.killOnOutput(/waiting for SSH/);
  let launched = false;
  env.proxy.onAction('*', 'before', () => (run.killed() ? 'drop' : undefined));
  env.proxy.onAction('RunInstances', 'before', () => {
    launched = true;
  });
  env.proxy.onAction('DescribeInstances', 'before', () => (launched && run.kill() ? 'drop' : undefined));
  const result = await run.done;
  env.proxy.clear();
  expect(result.signal, result.stderr).toBe('SIGKILL');
  return result.stderr;
}

/** Ids of the live instances tagged `herd:cluster=slurm`, of either install. */
async function liveIds(): Promise<string[]> {
  return (await env.liveInstances(CLUSTER)).map((i) => i.InstanceId!).sort();
}

beforeAll(async () => {
  env = await startEc2Env();
  root = await makeTempDir('herd-ec2-identity-');
});

afterAll(async () => {
  await killSpawnedHerds();
  await root?.cleanup();
  await env?.stop();
});

describe.each([
  { login: 'a key pair herd generates per cluster', shared: false },
  { login: 'one user key pair (user_key_name) for both', shared: true },
])('two installs, one EC2 account, one cluster name, $login', ({ shared }) => {
  let aIds: string[] = [];
  let bIds: string[] = [];
  const ownKeyPairs = shared ? 0 : 1;

  beforeAll(async () => {
    await env.reset();
    const net = await env.network('10.100.0.0/16', [{ cidr: '10.100.1.0/24', name: 'identity-a' }]);
    const dir = join(root.dir, shared ? 'shared' : 'generated');
    await mkdir(dir, { recursive: true });
    let key: string | undefined;
    if (shared) {
      key = join(dir, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    }
    const text = config(env.proxy.url, net.subnetIds[0]!, key);
    a = await herdInstall(join(dir, 'a'), text, EC2_TEST_ENV);
    b = await herdInstall(join(dir, 'b'), text, EC2_TEST_ENV);
  });

  it('the second install starts its own nodes and adopts none of the first', async () => {
    await startUntilLaunched(a);
    aIds = await liveIds();
    expect(aIds).toHaveLength(3);

    const stderr = await startUntilLaunched(b);
    expect(stderr).not.toMatch(/Adopted/);
    // It names the other cluster's instances and leaves them alone.
    for (const id of aIds) expect(stderr).toContain(id);
    expect(stderr).toMatch(/another herd cluster/);
    bIds = (await liveIds()).filter((id) => !aIds.includes(id));
    expect(bIds).toHaveLength(3);

    const instances = await env.liveInstances(CLUSTER);
    const idTags = new Set(instances.map((i) => tagsOf(i)['herd:cluster-id']));
    expect(idTags.size).toBe(2);
    expect([...idTags].every((t) => /^[0-9a-f]{8}$/.test(t ?? ''))).toBe(true);
    const [idA, idB] = [await a.savedId(CLUSTER), await b.savedId(CLUSTER)];
    expect(idA).not.toBe(idB);
    expect(idTags).toEqual(new Set([idA, idB]));
  });

  it('list-nodes -u finds exactly its own nodes, one record per node name, and warns about the others', async () => {
    const list = await a.herd(['list-nodes', CLUSTER, '-u', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(hasStackTrace(list.stderr)).toBe(false);
    const nodes = (JSON.parse(list.stdout) as { nodes: { name: string; instanceId?: string }[] }).nodes;
    expect(nodes.map((n) => n.instanceId).sort()).toEqual(aIds);
    expect(new Set(nodes.map((n) => n.name)).size).toBe(nodes.length);
    expect(nodes.map((n) => n.name).sort()).toEqual(['compute001', 'compute002', 'frontend001']);
    for (const id of bIds) expect(list.stderr).toContain(id);
  });

  it('the stop prompt lists exactly the instances that would be terminated', async () => {
    const refused = await a.herd(['stop', CLUSTER]);
    expect(refused.code).toBe(2);
    // The question (the warning before it names the other cluster's instances, rightly).
    const question = refused.stderr.slice(
      refused.stderr.indexOf('Terminate'),
      refused.stderr.indexOf('Refusing'),
    );
    expect(question).toMatch(/^Terminate 3 node\(s\) of cluster "slurm" \(id [0-9a-f]{8}\)/);
    for (const id of aIds) expect(question).toContain(id);
    for (const id of bIds) expect(question).not.toContain(id);
    expect(await liveIds()).toEqual([...aIds, ...bIds].sort());
  });

  it("stop terminates its own instances, key pair and security group, and none of the other's", async () => {
    const groupsBefore = await env.groups(CLUSTER);
    const keysBefore = await env.clusterKeyPairs(CLUSTER);
    expect(groupsBefore).toHaveLength(2);
    expect(keysBefore).toHaveLength(2 * ownKeyPairs);

    const stop = await a.herd(['stop', CLUSTER, '--yes', '--json']);
    expect(stop.code, stop.stderr).toBe(0);
    expect((JSON.parse(stop.stdout) as { terminated: string[] }).terminated.sort()).toEqual(aIds);
    expect(await liveIds()).toEqual(bIds);
    expect(await env.groups(CLUSTER)).toHaveLength(1);
    expect(await env.clusterKeyPairs(CLUSTER)).toHaveLength(ownKeyPairs);

    const stopB = await b.herd(['stop', CLUSTER, '--yes']);
    expect(stopB.code, stopB.stderr).toBe(0);
    expect(await liveIds()).toEqual([]);
    expect(await env.groups(CLUSTER)).toEqual([]);
    expect(await env.clusterKeyPairs(CLUSTER)).toEqual([]);
    // A key pair the login section names is the user's: herd never deletes it.
    expect((await env.keyPairs()).includes('herd-shared')).toBe(shared);
  });
});

describe('a cluster from before cluster ids (state format 1)', () => {
  it('keeps working: adopts by name only what carries no id, and stops only that', async () => {
    await env.reset();
    const net = await env.network('10.100.0.0/16', [{ cidr: '10.100.1.0/24', name: 'identity-a' }]);
    const subnet = net.subnetIds[0]!;
    const dir = join(root.dir, 'legacy');
    await mkdir(dir, { recursive: true });
    const old = await herdInstall(
      join(dir, 'old'),
      config(env.proxy.url, subnet, undefined, 'old'),
      EC2_TEST_ENV,
    );
    const { loadConfig, getTemplate } = await import('../../../src/config/index.js');
    const template = getTemplate(
      await loadConfig({ configPath: old.configFile, env: old.env, playbooksDir: '/nonexistent' }),
      'old',
    );
    // What an older herd left: instances tagged with the cluster name only, and a state file
    // (format 1) that knows the frontend, while compute001's create call never got its answer.
    const legacy: ClusterRef = { name: 'old', id: undefined };
    const { provider } = await env.provider({ network_ids: subnet });
    const publicKey = env.publicKey;
    const login = { user: 'admin', publicKey, keyName: undefined };
    await provider.prepare(legacy, login);
    const settings = { image_id: AMI, flavor: 't3.micro', network_ids: subnet };
    const create = async (cluster: ClusterRef, kind: string, node: string) => {
      const cloudName = cluster.id ? `old-${cluster.id}-${node}` : `old-${node}`;
      const result = await provider.createNodes({
        cluster,
        runId: 'old1',
        template: cluster.name,
        kind,
        nodes: [{ name: node, cloudName }],
        settings,
        login,
      });
      return result.created[0]!.instanceId;
    };
    const frontend = await create(legacy, 'frontend', 'frontend001');
    const compute = await create(legacy, 'compute', 'compute001');
    // A new cluster of the same name elsewhere (with an id) also has a compute001.
    const foreign = await create({ name: 'old', id: '5a5a5a5a' }, 'compute', 'compute001');
    const now = new Date().toISOString();
    const record = (name: string, kind: string, instanceId?: string) => ({
      name,
      kind,
      cloudName: `old-${name}`,
      ...(instanceId ? { instanceId } : {}),
      state: instanceId ? 'running' : 'creating',
      publicIps: [],
      privateIps: [],
      runId: 'old1',
      createdAt: now,
    });
    const keyPath = join(old.storage, 'old.key');
    await writeFile(
      old.stateFile('old'),
      JSON.stringify({
        version: 1,
        name: 'old',
        templateName: 'old',
        template: { ...template, cloud: { ...template.cloud, settings: {} } },
        createdAt: now,
        updatedAt: now,
        nodes: [record('frontend001', 'frontend', frontend), record('compute001', 'compute')],
        paths: {
          privateKey: keyPath,
          publicKey: `${keyPath}.pub`,
          knownHosts: '/tmp/elsewhere.known_hosts',
          inventory: '/tmp/elsewhere.inventory',
        },
      }),
      { mode: 0o600 },
    );

    const list = await old.herd(['list-nodes', 'old', '-u', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const nodes = (JSON.parse(list.stdout) as { nodes: { name: string; instanceId?: string }[] }).nodes;
    expect(nodes.map((n) => [n.name, n.instanceId])).toEqual([
      ['frontend001', frontend],
      ['compute001', compute],
    ]);
    expect(list.stderr).toContain(`${foreign} (old-5a5a5a5a-compute001, cluster id 5a5a5a5a)`);
    const saved = JSON.parse(await readFile(old.stateFile('old'), 'utf8'));
    // Migrated to the current format, still without an id: herd never invents one for an old cluster.
    expect(saved.version).toBe(STATE_VERSION);
    expect(saved).not.toHaveProperty('id');

    const stop = await old.herd(['stop', 'old', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await env.liveInstances('old')).map((i) => i.InstanceId)).toEqual([foreign]);
    // The old cluster's own group and key pair went; the newer cluster's stay.
    expect(await env.groups('old')).toEqual(['herd-old-5a5a5a5a']);
    expect(await env.clusterKeyPairs('old')).toEqual(['herd-old-5a5a5a5a']);
  });
});
