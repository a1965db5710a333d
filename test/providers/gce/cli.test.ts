/**
 * herd's GCE path through the real CLI against the fake API: a start killed with SIGKILL, then
 * `list-nodes -u` and `stop` find and remove everything by label. Instances never reach RUNNING in
 * these tests (runningDelayMs is huge), so herd never probes SSH at the fake addresses.
 */
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGce, type RequestRecord, startFakeGce } from '../../fakes/gce/index.js';
import {
  GCE_TEST_ENV,
  type HerdInstall,
  hasStackTrace,
  herdInstall,
  makeTempDir,
  repoRoot,
  runHerd,
  runHerdUntilKilled,
} from '../../helpers/cli.js';
import { gceSlurmConfig } from '../../helpers/configs.js';

let fake: FakeGce;
let home: { dir: string; cleanup: () => Promise<void> };
let install: HerdInstall;

function config(url: string): string {
  return gceSlurmConfig(url, { name: 'gslurm' });
}

beforeAll(async () => {
  // Never RUNNING: herd must never get as far as SSH probing 10.87.1.x.
  fake = await startFakeGce({ internalSubnet: '10.87.1.0/24', runningDelayMs: 3_600_000 });
  home = await makeTempDir('herd-gce-cli-');
  install = await herdInstall(home.dir, config(fake.url), GCE_TEST_ENV);
});

afterAll(async () => {
  await fake.stop();
  await home.cleanup();
});

/** Starts `herd start gslurm`, SIGKILLs it at the first request `at` matches; resolves when it is gone. */
function startAndKillAt(
  at: (method: string, r: RequestRecord) => boolean,
): ReturnType<typeof runHerdUntilKilled> {
  return runHerdUntilKilled(['start', 'gslurm'], {
    env: install.env,
    arm: (kill) => fake.onRequest((m, r) => at(m, r) && kill()),
  });
}

describe('herd start killed, then list-nodes -u and stop', () => {
  it.each<[string, (m: string, r: RequestRecord) => boolean]>([
    ['the first bulkInsert', (m) => m === 'instances.bulkInsert'],
    // The list that reads back created instances (the first list is start's search for strays).
    [
      'the list after a bulkInsert',
      (m, r) => m === 'instances.list' && (r.query['filter'] ?? '').includes('herd-run'),
    ],
  ])('killed at %s: stop removes every instance', async (_label, at) => {
    fake.resetCalls();
    const killed = await startAndKillAt(at);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    // The killed process may have sent the other kind's bulkInsert too: wait until the fake has
    // answered everything it sent.
    await fake.settled();
    expect(fake.instances().length).toBeGreaterThan(0);
    expect(existsSync(install.stateFile('gslurm'))).toBe(true);

    // list-nodes -u refreshes the state from the cloud (and adopts what the killed run created),
    // also while no node is reachable yet.
    // Traced: it loads only the SDK clients herd uses, not the package's index (every client,
    // the v1beta and v1small APIs, a 30 MB protos.js), which made each herd command seconds slower.
    const trace = join(home.dir, 'modules-list-nodes');
    await rm(trace, { force: true });
    const list = await runHerd(['list-nodes', 'gslurm', '-u'], {
      env: {
        ...install.env,
        NODE_OPTIONS: `--import ${join(repoRoot, 'test', 'helpers', 'trace-modules.mjs')}`,
        HERD_TEST_MODULE_TRACE: trace,
      },
      timeoutMs: 60_000,
    });
    expect(list.code, list.stderr).toBe(0);
    expect(hasStackTrace(list.stderr)).toBe(false);
    const compute = (await readFile(trace, 'utf8'))
      .split('\n')
      .filter((url) => url.includes('/node_modules/@google-cloud/compute/'));
    expect(compute.some((url) => url.endsWith('/build/src/v1/instances_client.js'))).toBe(true);
    expect(
      compute.filter((url) => /\/build\/(src\/index|protos\/protos)\.js$|\/v1(beta|small)\//.test(url)),
    ).toEqual([]);
    const state = JSON.parse(await readFile(install.stateFile('gslurm'), 'utf8')) as {
      id: string;
      nodes: { name: string; instanceId?: string; privateIps: string[] }[];
    };
    for (const instance of fake.instances()) {
      const node = state.nodes.find((n) => n.instanceId === `us-central1-a/${instance.name}`);
      expect(node, instance.name).toBeDefined();
      expect(node!.privateIps).toEqual([instance.networkInterfaces[0]!.networkIP]);
      expect(instance.name).toBe(`gslurm-${state.id}-${node!.name}`);
    }

    const stop = await install.herd(['stop', 'gslurm', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(fake.instances()).toEqual([]);
    expect(fake.calls['instances.delete']).toBeGreaterThan(0);
    expect(existsSync(install.stateFile('gslurm'))).toBe(false);
  });

  it('without credentials: exit 1, says how to provide them, leaves no cluster behind', async () => {
    fake.resetCalls();
    const r = await runHerd(['start', 'gslurm', '-n', 'gnocreds'], {
      env: {
        ...install.env,
        GOOGLE_OAUTH_ACCESS_TOKEN: undefined,
        GOOGLE_APPLICATION_CREDENTIALS: join(home.dir, 'no-such-key.json'),
      },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('herd: error [GceBadCredentials]: ');
    expect(r.stderr).toMatch(/GOOGLE_APPLICATION_CREDENTIALS=.*no-such-key\.json cannot be used/);
    expect(r.stderr).toContain('gcloud auth application-default login');
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(fake.requests).toEqual([]);
    expect(existsSync(install.stateFile('gnocreds'))).toBe(false);
  });
});
