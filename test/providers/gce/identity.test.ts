import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGce, startFakeGce } from '../../fakes/gce/index.js';
import {
  GCE_TEST_ENV,
  type HerdInstall,
  hasStackTrace,
  herdInstall,
  makeTempDir,
} from '../../helpers/cli.js';
import { gceSlurmConfig } from '../../helpers/configs.js';
import { killSpawnedHerds, spawnHerd } from '../../helpers/herd-process.js';

const CLUSTER = 'slurm';

let fake: FakeGce;
let root: { dir: string; cleanup: () => Promise<void> };
let a: HerdInstall;
let b: HerdInstall;

/** An install of its own under the test's directory, on the fake; probes never reach its addresses. */
const install = (name: string) =>
  herdInstall(join(root.dir, name), gceSlurmConfig(fake.url, { neverProbe: true }), GCE_TEST_ENV);

/** `herd start slurm --no-setup`, SIGKILLed once it has read back the instances it created. */
async function startUntilCreated(who: HerdInstall): Promise<string> {
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

    const ids = await Promise.all([a, b].map((who) => who.savedId(CLUSTER)));
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
    const list = await a.herd(['list-nodes', CLUSTER, '-u', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(hasStackTrace(list.stderr)).toBe(false);
    const nodes = (JSON.parse(list.stdout) as { nodes: { name: string; instanceId?: string }[] }).nodes;
    expect(nodes.map((n) => n.instanceId).sort()).toEqual(aNames.map((n) => `us-central1-a/${n}`));
    expect(nodes.map((n) => n.name).sort()).toEqual(['compute001', 'compute002', 'frontend001']);
    for (const name of bNames) expect(list.stderr).toContain(name);
  });

  it('stop deletes its own instances only', async () => {
    const refused = await a.herd(['stop', CLUSTER]);
    expect(refused.code).toBe(2);
    // The question (the warning before it names the other cluster's instances, rightly).
    const question = refused.stderr.slice(
      refused.stderr.indexOf('Terminate'),
      refused.stderr.indexOf('Refusing'),
    );
    for (const name of aNames) expect(question).toContain(name);
    for (const name of bNames) expect(question).not.toContain(name);

    const stop = await a.herd(['stop', CLUSTER, '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(names()).toEqual(bNames);
    const stopB = await b.herd(['stop', CLUSTER, '--yes']);
    expect(stopB.code, stopB.stderr).toBe(0);
    expect(names()).toEqual([]);
  });
});
