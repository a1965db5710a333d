/**
 * herd's OpenStack path through the real CLI against the fake cloud, where things go wrong: a start
 * killed with SIGKILL (then list-nodes -u adopts what it made, and stop removes it), a start that
 * fails because no zone has room (then stop), bad and missing credentials. Servers never become
 * ACTIVE here (their guests never boot), so herd never probes SSH at the fake addresses.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenStack, type RequestRecord, startFakeOpenStack } from '../../fakes/openstack/index.js';
import {
  type HerdInstall,
  hasStackTrace,
  herdInstall,
  makeTempDir,
  runHerd,
  runHerdUntilKilled,
} from '../../helpers/cli.js';
import { clusterSection, openstackSlurmConfig } from '../../helpers/configs.js';
import { NO_OS_ENV } from './helpers.js';

let fake: FakeOpenStack;
let home: { dir: string; cleanup: () => Promise<void> };
let install: HerdInstall;

/** `oslurm` on the fake (two zones, boot volumes, anti-affinity), and `nocreds` on a cloud without credentials. */
function config(authUrl: string): string {
  return openstackSlurmConfig(authUrl, {
    name: 'oslurm',
    computeNodes: 3,
    cloud: { availability_zone: 'az1,az2', use_anti_affinity_groups: 'yes' },
    cluster: { boot_disk_size: 10 },
    extra: `\n[cloud/nocreds]\nprovider=openstack\n\n${clusterSection({
      name: 'nocreds',
      cloud: 'nocreds',
      login: 'debian',
      settings: { image_id: 'debian-12', flavor: 'm1.small' },
    })}`,
  });
}

beforeAll(async () => {
  // Guests never boot: herd must never get as far as probing SSH at 10.120.2.x.
  fake = await startFakeOpenStack({
    privateSubnet: '10.120.2.0/24',
    zones: ['az1', 'az2'],
    schedulingDelayMs: 20,
    spawnDelayMs: 3_600_000,
    deleteDelayMs: 50,
  });
  home = await makeTempDir('herd-os-cli-');
  install = await herdInstall(home.dir, config(fake.authUrl), NO_OS_ENV);
});

afterEach(() => {
  fake.resetCalls();
});

afterAll(async () => {
  await fake.stop();
  await home.cleanup();
});

/** Nothing herd makes is left on the cloud. */
function expectNothingLeft(): void {
  expect(fake.servers()).toEqual([]);
  expect(fake.ports()).toEqual([]);
  expect(fake.floatingIps()).toEqual([]);
  expect(fake.volumes()).toEqual([]);
  expect(fake.keyPairs()).toEqual([]);
  expect(fake.securityGroups().map((g) => g.name)).toEqual(['default']);
  expect(fake.serverGroups()).toEqual([]);
}

/** Starts `herd start oslurm`, SIGKILLs it at the first request `at` matches; resolves when it is gone. */
function startAndKillAt(at: (r: RequestRecord) => boolean): ReturnType<typeof runHerdUntilKilled> {
  return runHerdUntilKilled(['start', 'oslurm'], {
    env: install.env,
    arm: (kill) => fake.onRequest((r) => at(r) && kill()),
  });
}

describe('herd start killed, then list-nodes -u and stop', () => {
  it.each<[string, (r: RequestRecord) => boolean]>([
    ['the first server create', (r) => r.name === 'compute.servers.create'],
    [
      'the first wait for the servers to be placed',
      (r) => r.name === 'compute.servers.list_detail' && (fake.calls['compute.servers.create'] ?? 0) >= 4,
    ],
  ])('killed at %s: stop removes every server, volume, group and key', async (_label, at) => {
    const killed = await startAndKillAt(at);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    // The killed process may have created more servers in flight: wait until the fake has answered
    // what it sent and placed them.
    await fake.settled();
    expect(fake.servers().length).toBeGreaterThan(0);
    // The intent, saved before the first cloud call, holds the cluster's id: on every resource.
    const { id } = JSON.parse(await readFile(install.stateFile('oslurm'), 'utf8')) as {
      id: string;
    };
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect(fake.keyPairs().map((k) => k.name)).toEqual([`herd-oslurm-${id}`]);
    for (const server of fake.servers()) {
      expect(server.metadata['herd_cluster_id']).toBe(id);
      expect(server.tags).toContain(`herd:id=${id}`);
    }
    // Placed servers boot from their volumes (boot_disk_size) inside anti-affinity groups.
    expect(fake.volumes()).toHaveLength(fake.servers().length);
    expect(fake.serverGroups().length).toBeGreaterThan(0);
    expect(existsSync(install.stateFile('oslurm'))).toBe(true);

    const list = await install.herd(['list-nodes', 'oslurm', '-u'], { timeoutMs: 60_000 });
    expect(list.code, list.stderr).toBe(0);
    expect(hasStackTrace(list.stderr)).toBe(false);
    const state = JSON.parse(await readFile(install.stateFile('oslurm'), 'utf8')) as {
      nodes: { name: string; instanceId?: string }[];
    };
    for (const server of fake.servers()) {
      const node = state.nodes.find((n) => n.instanceId === server.id);
      expect(node, server.name).toBeDefined();
      expect(server.name).toBe(`oslurm-${id}-${node!.name}`);
    }

    const stop = await install.herd(['stop', 'oslurm', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expectNothingLeft();
    expect(existsSync(install.stateFile('oslurm'))).toBe(false);
  });
});

describe('failures that need no node', () => {
  it('no zone has room: exit 1 naming the zones tried and the key to change; stop leaves nothing', async () => {
    fake.failScheduling({ times: 1000 });
    try {
      const start = await install.herd(['start', 'oslurm', '-n', 'full', '--no-setup']);
      expect(start.code, start.stderr).toBe(1);
      expect(start.stderr).toContain('Not enough nodes came up');
      expect(start.stderr).toMatch(
        /tried zone az1, network private \(No valid host was found.*\); zone az2, network private/,
      );
      expect(start.stderr).toMatch(/availability_zone/);
      expect(start.stderr).toContain('herd stop full');
      expect(hasStackTrace(start.stderr)).toBe(false);
    } finally {
      fake.clearFaults();
    }
    // herd deleted the servers that found no room; the fake takes a moment to remove them.
    await fake.settled();
    expect(fake.servers()).toEqual([]);
    const stop = await install.herd(['stop', 'full', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expectNothingLeft();
  });

  it('bad password: exit 1, says which keys to check, and leaves no cluster behind', async () => {
    const text = (await readFile(install.configFile, 'utf8')).replace('password=secret', 'password=wrong');
    await writeFile(join(home.dir, 'config-bad'), text, { mode: 0o600 });
    const r = await runHerd(['start', 'oslurm', '-n', 'badpw'], {
      env: { ...install.env, HERD_CONFIG: join(home.dir, 'config-bad') },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Keystone at http:\/\/127\.0\.0\.1:\d+\/v3 refused herd's credentials from \[cloud\/os\]/,
    );
    expect(r.stderr).toMatch(/username \(or user_id\), password, project_name/);
    expect(r.stderr).not.toContain('wrong');
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(existsSync(install.stateFile('badpw'))).toBe(false);
    expectNothingLeft();
  });

  it('no credentials anywhere: exit 2 listing every missing key and where it may come from', async () => {
    const r = await install.herd(['start', 'nocreds'], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid configuration (4 problems)');
    for (const key of ['auth_url', 'username', 'password', 'project_name'])
      expect(r.stderr).toContain(`[cloud/nocreds] ${key}: missing`);
    expect(r.stderr).toMatch(/export OS_AUTH_URL, or name a clouds\.yaml entry with cloud= \(or OS_CLOUD\)/);
    expect(existsSync(install.stateFile('nocreds'))).toBe(false);
  });
});
