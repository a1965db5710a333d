/**
 * `herd list` and `herd list -u` as a user runs them (the built herd): without -u no cloud is asked at
 * all and a cluster with idle auto-stop gets a hint; with -u a cluster whose cloud refuses is still
 * listed, with a warning naming it, exit code 1, and its state file unchanged. The cloud is a loopback
 * HTTP server that counts the requests it gets and refuses every one as Keystone refuses bad credentials.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateRepository } from '../../src/state/index.js';
import { makeTempDir, runHerd } from '../helpers/cli.js';
import { openstackSlurmConfig } from '../helpers/configs.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

let home: { dir: string; cleanup: () => Promise<void> };
let server: Server;
const requests: string[] = [];
let env: Record<string, string>;
let stateFile: string;

beforeAll(async () => {
  home = await makeTempDir('herd-list-u-');
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          code: 401,
          title: 'Unauthorized',
          message: 'The request you have made requires authentication.',
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const authUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
  const config = join(home.dir, 'config');
  const storage = join(home.dir, 'storage');
  await writeFile(config, openstackSlurmConfig(authUrl));
  env = { HERD_CONFIG: config, HERD_STORAGE: storage, LC_ALL: 'C' };
  const base = template();
  const tpl = {
    ...base,
    cloud: {
      name: 'os',
      provider: 'openstack' as const,
      settings: { auth_url: authUrl, username: 'herd', project_name: 'herd-project' },
    },
    cluster: { ...base.cluster, idleStopMinutes: 30 },
  };
  const state = {
    ...clusterState([node('frontend001', '10.0.0.5', { instanceId: 'srv-1' })], tpl),
    name: 'idler',
  };
  const repo = await StateRepository.open(storage);
  await repo.save(state);
  stateFile = join(storage, 'idler.json');
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await home.cleanup();
});

describe('herd list', () => {
  it('asks no cloud without -u, and hints that -u shows whether the cluster stopped itself', async () => {
    const text = await runHerd(['list'], { env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      'note:     idle_stop_minutes=30: herd list -u shows whether it stopped itself',
    );
    const json = await runHerd(['list', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    const [row] = JSON.parse(json.stdout).clusters;
    expect(row).toMatchObject({ name: 'idler', idleStopMinutes: 30, refresh: null });
    expect(row.hint).toContain('herd list -u');
    expect(requests).toEqual([]);
  });

  it('with -u lists a cluster whose cloud refuses as last saved, warns naming it, and exits 1', async () => {
    const before = await readFile(stateFile, 'utf8');
    const text = await runHerd(['list', '-u'], { env });
    expect(requests.length).toBeGreaterThan(0);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('name:     idler');
    expect(text.stdout).toContain('note:     not updated, as last saved: its cloud could not be asked');
    const warnings = text.stderr.split('\n').filter((l) => l.includes('Cluster "idler" not updated'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/asking cloud "os" \(openstack\) failed: .+\. Fix: /);
    const json = await runHerd(['list', '-u', '--json'], { env });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc.clusters[0]).toMatchObject({ name: 'idler', paused: null, refresh: { outcome: 'failed' } });
    expect(doc.errors).toEqual([expect.objectContaining({ cluster: 'idler' })]);
    expect(await readFile(stateFile, 'utf8')).toBe(before);
    // The password of [cloud/os] reached the cloud, never the output.
    expect(text.stdout + text.stderr + json.stdout + json.stderr).not.toContain('secret');
  });
});
