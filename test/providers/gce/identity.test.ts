/**
 * Two herd installs (two storage directories) in one GCE project, each with a cluster named `slurm`,
 * against the fake Compute API: instance names and labels carry each cluster's id, so neither
 * adopts, lists or deletes the other's instances, and each names the other's in a warning.
 * Instances never reach RUNNING here, so herd never probes SSH at the fake's addresses.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGce, startFakeGce } from '../../fakes/gce/index.js';
import { hasStackTrace, makeTempDir, runHerd } from '../../helpers/cli.js';
import { gceSlurmConfig } from '../../helpers/configs.js';
import { killSpawnedHerds, spawnHerd } from '../../helpers/herd-process.js';

const CLUSTER = 'slurm';

function config(url: string): string {
  // Never reach out to the fake's addresses, whatever goes wrong: probes run this and fail.
  return gceSlurmConfig(url, { after: { ssh_proxy_command: 'false', start_timeout: 30 } });
}

interface Install {
  env: Record<string, string | undefined>;
  stateFile: string;
}

let fake: FakeGce;
let root: { dir: string; cleanup: () => Promise<void> };
let a: Install;
let b: Install;

async function install(name: string): Promise<Install> {
  const home = join(root.dir, name);
  await mkdir(join(home, 'storage'), { recursive: true, mode: 0o700 });
  await writeFile(join(home, 'config'), config(fake.url));
  return {
    env: {
      HOME: home,
      HERD_CONFIG: join(home, 'config'),
      HERD_STORAGE: join(home, 'storage'),
      GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
      GOOGLE_APPLICATION_CREDENTIALS: undefined,
      CLOUDSDK_CONFIG: undefined,
      METADATA_SERVER_DETECTION: 'none',
    },
    stateFile: join(home, 'storage', `${CLUSTER}.json`),
  };
}

const herd = (who: Install, args: readonly string[]) => runHerd(args, { env: who.env, timeoutMs: 120_000 });

/** `herd start slurm --no-setup`, SIGKILLed once it has read back the instances it created. */
async function startUntilCreated(who: Install): Promise<string> {
  const run = spawnHerd(['start', CLUSTER, '--no-setup'], who.env, 120_000);
  run.killOnOutput(/waiting for SSH/);
  let lists = 0;
  fake.onRequest((method, r) => {
    // Each kind reads back what its bulkInsert created, with a herd-run filter: kill after both.
    if (method === 'instances.list' && (r.query['filter'] ?? '').includes('herd-run') && ++lists === 2)
      run.kill();
  });
  const result = await run.done;
  expect(result.signal, result.stderr).toBe('SIGKILL');
  return result.stderr;
}

const names = () =>
  fake
    .instances()
    .map((i) => i.name)
    .sort();

beforeAll(async () => {
  fake = await startFakeGce({ internalSubnet: '10.101.1.0/24', runningDelayMs: 3_600_000 });
  root = await makeTempDir('herd-gce-identity-');
  a = await install('a');
  b = await install('b');
});

afterAll(async () => {
  await killSpawnedHerds();
  await fake?.stop();
  await root?.cleanup();
});

describe('two installs, one GCE project, one cluster name', () => {
  let aNames: string[] = [];
  let bNames: string[] = [];

  it('the second install creates its own instances (names and labels carry the cluster id)', async () => {
    await startUntilCreated(a);
    aNames = names();
    expect(aNames).toHaveLength(3);
    const stderr = await startUntilCreated(b);
    expect(stderr).not.toMatch(/Adopted/);
    for (const name of aNames) expect(stderr).toContain(name);
    expect(stderr).toMatch(/another herd cluster/);
    bNames = names().filter((n) => !aNames.includes(n));
    expect(bNames).toHaveLength(3);

    const ids = await Promise.all(
      [a, b].map(async (who) => (JSON.parse(await readFile(who.stateFile, 'utf8')) as { id: string }).id),
    );
    expect(ids[0]).not.toBe(ids[1]);
    for (const [who, id] of [
      [aNames, ids[0]!],
      [bNames, ids[1]!],
    ] as const) {
      expect(id).toMatch(/^[0-9a-f]{8}$/);
      expect([...who].sort()).toEqual([
        `slurm-${id}-compute001`,
        `slurm-${id}-compute002`,
        `slurm-${id}-frontend001`,
      ]);
      for (const instance of fake.instances().filter((i) => who.includes(i.name))) {
        expect(instance.labels?.['herd-cluster']).toBe('slurm');
        expect(instance.labels?.['herd-cluster-id']).toBe(id);
      }
    }
  });

  it('list-nodes -u finds exactly its own instances and warns about the others', async () => {
    const list = await herd(a, ['list-nodes', CLUSTER, '-u', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(hasStackTrace(list.stderr)).toBe(false);
    const nodes = (JSON.parse(list.stdout) as { nodes: { name: string; instanceId?: string }[] }).nodes;
    expect(nodes.map((n) => n.instanceId).sort()).toEqual(aNames.map((n) => `us-central1-a/${n}`));
    expect(nodes.map((n) => n.name).sort()).toEqual(['compute001', 'compute002', 'frontend001']);
    for (const name of bNames) expect(list.stderr).toContain(name);
  });

  it('stop deletes its own instances only', async () => {
    const refused = await herd(a, ['stop', CLUSTER]);
    expect(refused.code).toBe(2);
    // The question (the warning before it names the other cluster's instances, rightly).
    const question = refused.stderr.slice(
      refused.stderr.indexOf('Terminate'),
      refused.stderr.indexOf('Refusing'),
    );
    for (const name of aNames) expect(question).toContain(name);
    for (const name of bNames) expect(question).not.toContain(name);

    const stop = await herd(a, ['stop', CLUSTER, '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(names()).toEqual(bNames);
    const stopB = await herd(b, ['stop', CLUSTER, '--yes']);
    expect(stopB.code, stopB.stderr).toBe(0);
    expect(names()).toEqual([]);
  });
});
