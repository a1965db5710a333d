/**
 * `herd export` and `herd import` with the built binary: a cluster moves to another storage directory
 * (renamed), its archive is 0600 and holds no secret even when the state it came from did, an
 * existing cluster is never replaced, and a tampered archive is refused without writing anything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTarGz } from '../../src/state/tar.js';
import { hasStackTrace, makeTempDir, runHerd } from '../helpers/cli.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

const PLANTED = ['PLANTED-aws-secret-4711', 'PLANTED-db-password-4712', 'PLANTED-ssh-pass-4713'];
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPlaceholderHostKeyForTests0000000000000000';

let home: { dir: string; cleanup: () => Promise<void> };
let a: string;
let b: string;
let env: Record<string, string>;

const herd = (storage: string, args: string[]) =>
  runHerd(['-s', storage, ...args], { env, timeoutMs: 60_000 });

beforeAll(async () => {
  home = await makeTempDir('herd-export-');
  a = join(home.dir, 'a');
  b = join(home.dir, 'b');
  await mkdir(a, { mode: 0o700 });
  // An empty configuration: export and import never read one.
  await writeFile(join(home.dir, 'config'), '');
  env = { HOME: home.dir, HERD_CONFIG: join(home.dir, 'config') };
  const tpl = template();
  // A state file as an older herd or a hand edit might hold it: with secrets in the template snapshot.
  const { paths: _paths, ...state } = clusterState(
    [
      node('frontend001', '192.0.2.10', {
        hostKey: HOST_KEY,
        instanceId: 'i-0001',
        cloudName: 'c1-1a2b3c4d-frontend001',
      }),
      node('compute001', '192.0.2.11', {
        hostKey: HOST_KEY,
        instanceId: 'i-0002',
        cloudName: 'c1-1a2b3c4d-compute001',
      }),
    ],
    {
      ...tpl,
      cloud: {
        name: 'aws',
        provider: 'ec2_boto',
        settings: {
          ec2_region: 'eu-west-1',
          ec2_access_key: 'AKIAPLANTED',
          ec2_secret_access_key: PLANTED[0]!,
        },
      },
      login: { ...tpl.login, settings: { ansible_ssh_pass: PLANTED[2]! } },
      setup: { ...tpl.setup, globalVars: { db_password: PLANTED[1]!, site: 'lab' } },
    },
  );
  await writeFile(join(a, 'c1.json'), JSON.stringify({ ...state, name: 'c1', id: '1a2b3c4d' }), {
    mode: 0o600,
  });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'herd-c1', '-f', join(a, 'c1.key')]);
});
afterAll(() => home.cleanup());

describe('herd export / herd import', () => {
  it('exports to a 0600 archive that holds no secret', async () => {
    const out = join(home.dir, 'c1.tar.gz');
    const r = await herd(a, ['export', 'c1', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Cluster "c1" exported to ${out}`);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const listing = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(['herd-export.json', 'state.json', 'known_hosts', 'key', 'key.pub']);
    const unpacked = gunzipSync(await readFile(out)).toString('latin1');
    for (const secret of [...PLANTED, 'AKIAPLANTED']) expect(unpacked).not.toContain(secret);
    expect(unpacked).toContain('eu-west-1');
    // The original records the export, and no temp file is left beside the archive.
    expect(JSON.parse(await readFile(join(a, 'c1.json'), 'utf8')).exportedAt).toMatch(/^\d{4}-/);
    expect((await readdir(home.dir)).filter((f) => f.startsWith('c1.tar.gz'))).toEqual(['c1.tar.gz']);
  });

  it('imports into another storage dir under a new name; list and list-nodes show it', async () => {
    const r = await herd(b, ['import', join(home.dir, 'c1.tar.gz'), '-n', 'c2', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      cluster: 'c2',
      from: 'c1',
      id: '1a2b3c4d',
      provider: 'ec2_boto',
      nodes: 2,
      key: 'included',
    });
    expect(result.needs.map((n: { what: string }) => n.what)).toContain('cloud-section');
    expect(result.needs.find((n: { what: string }) => n.what === 'cloud-section').text).toContain(
      '[cloud/aws]',
    );

    const list = await herd(b, ['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^c2$/m);
    const nodes = await herd(b, ['list-nodes', 'c2', '--json']);
    expect(nodes.code).toBe(0);
    const shown = JSON.parse(nodes.stdout);
    expect(shown).toMatchObject({ name: 'c2', id: '1a2b3c4d', frontend: 'frontend001' });
    expect(shown.nodes.map((n: { instanceId: string }) => n.instanceId)).toEqual(['i-0001', 'i-0002']);

    expect(await readFile(join(b, 'c2.key'))).toEqual(await readFile(join(a, 'c1.key')));
    for (const f of ['c2.json', 'c2.key', 'c2.known_hosts'])
      expect((await stat(join(b, f))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(b, 'c2.known_hosts'), 'utf8')).toBe(
      `frontend001 ${HOST_KEY}\ncompute001 ${HOST_KEY}\n`,
    );
    const state = JSON.parse(await readFile(join(b, 'c2.json'), 'utf8'));
    // Known on the cloud by its exported name and id (see README "Export and import").
    expect(state.origin).toMatchObject({ name: 'c1', storageDir: a });
  });

  it('never replaces an existing cluster, nor adds a second copy of one to a storage dir', async () => {
    const before = await readFile(join(b, 'c2.json'), 'utf8');
    const again = await herd(b, ['import', join(home.dir, 'c1.tar.gz'), '-n', 'c2']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('herd: error [ClusterExists]: A cluster named "c2" already exists');
    expect(await readFile(join(b, 'c2.json'), 'utf8')).toBe(before);

    const twin = await herd(a, ['import', join(home.dir, 'c1.tar.gz'), '-n', 'c3']);
    expect(twin.code).toBe(2);
    expect(twin.stderr).toContain('Cluster "c1" in');
    expect(twin.stderr).toContain('already is this cluster (id 1a2b3c4d)');
    expect(existsSync(join(a, 'c3.json'))).toBe(false);
    expect(existsSync(join(a, 'c3.key'))).toBe(false);
  });

  it('leaves the private key out with --no-private-key and says where to put it', async () => {
    const out = join(home.dir, 'nokey.tar.gz');
    const r = await herd(a, ['export', 'c1', '-o', out, '--no-private-key']);
    expect(r.code).toBe(0);
    expect(execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }).trim().split('\n')).not.toContain('key');
    const c = join(home.dir, 'c');
    const imported = await herd(c, ['import', out]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`copy it to ${join(c, 'c1.key')} (chmod 600)`);
    expect(existsSync(join(c, 'c1.key'))).toBe(false);
    expect(existsSync(join(c, 'c1.key.pub'))).toBe(true);
  });

  it('does not overwrite an existing file', async () => {
    const out = join(home.dir, 'taken');
    await writeFile(out, 'mine');
    const r = await herd(a, ['export', 'c1', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already exists; herd export does not overwrite files');
    expect(await readFile(out, 'utf8')).toBe('mine');
  });

  it('refuses a tampered archive with exit 2 and writes nothing', async () => {
    const bad = join(home.dir, 'bad.tar.gz');
    await writeFile(bad, writeTarGz([{ name: '../c9.json', data: Buffer.from('{}') }]));
    const d = join(home.dir, 'd');
    const r = await herd(d, ['import', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `herd: error [ArchiveInvalid]: Refusing archive ${bad}: entry "../c9.json" leads out`,
    );
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(await readdir(d)).toEqual([]);
    expect(existsSync(join(home.dir, 'c9.json'))).toBe(false);
  });
});
