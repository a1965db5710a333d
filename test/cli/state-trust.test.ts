/**
 * What herd reads from a state file it did not write itself (hand-edited, or from an older herd):
 * paths are derived from the storage directory and the cluster name, never taken from the file; a
 * command stored in the file is never run; one unreadable file never hides the other clusters.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, makeTempDir, runHerd } from '../helpers/cli.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

let home: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string>;
let storage: string;
let outside: string;

/** A script that appends its arguments, one line per run, to `log`. */
async function recorder(path: string, log: string): Promise<void> {
  await writeFile(path, `#!/bin/sh\necho "$@" >> ${log}\n`);
  await chmod(path, 0o755);
}

beforeAll(async () => {
  home = await makeTempDir('herd-state-trust-');
  storage = join(home.dir, 'storage');
  outside = join(home.dir, 'outside');
  await mkdir(storage, { mode: 0o700 });
  await mkdir(outside);
  await recorder(join(home.dir, 'configured-ansible'), join(home.dir, 'configured.log'));
  await recorder(join(outside, 'planted'), join(outside, 'planted.log'));
  await writeFile(
    join(home.dir, 'config'),
    `[cloud/local]
provider=local
subnet=10.103.0.0/24
bridge=hid8

[login/debian]
image_user=debian

[setup/slurm]
provider=ansible
ansible_command=${join(home.dir, 'configured-ansible')}
frontend_groups=slurm_master
compute_groups=slurm_worker

[cluster/slurm]
cloud=local
login=debian
setup=slurm
frontend_nodes=1
compute_nodes=1
`,
  );
  env = { HOME: home.dir, HERD_STORAGE: storage, HERD_CONFIG: join(home.dir, 'config') };
});
afterAll(() => home.cleanup());

describe('a hand-edited state file', () => {
  it('never makes setup write outside the storage dir or run the ansible_command stored in it', async () => {
    const tpl = template();
    // As herd 1 wrote it (format version 1 stored paths and ansible_command), then edited.
    const state = {
      ...clusterState([node('frontend001', '192.0.2.10', { hostKey: 'ssh-ed25519 AAAAC3Nza' })], {
        ...tpl,
        setup: { ...tpl.setup, ansibleCommand: join(outside, 'planted') },
      }),
      version: 1,
      name: 'edited',
      paths: {
        privateKey: join(outside, 'key'),
        publicKey: join(outside, 'key.pub'),
        knownHosts: join(outside, 'known_hosts'),
        inventory: join(outside, 'inventory'),
      },
    };
    await writeFile(join(storage, 'edited.json'), JSON.stringify(state), { mode: 0o600 });

    const r = await runHerd(['setup', 'edited'], { env, timeoutMs: 60_000 });
    expect(hasStackTrace(r.stderr)).toBe(false);
    expect(existsSync(join(outside, 'planted.log'))).toBe(false);
    expect(existsSync(join(outside, 'inventory'))).toBe(false);
    expect(existsSync(join(outside, 'known_hosts'))).toBe(false);
    // The configured command ran, on the files derived from the storage dir and the cluster name.
    expect(r.code, r.stderr).toBe(0);
    const ran = await readFile(join(home.dir, 'configured.log'), 'utf8');
    expect(ran).toContain(`--inventory=${join(storage, 'edited.inventory')}`);
    expect(ran).toContain(`--private-key=${join(storage, 'edited.key')}`);
    expect(await readFile(join(storage, 'edited.known_hosts'), 'utf8')).toContain('frontend001 ssh-ed25519');
  });
});

describe('herd list with an unreadable state file', () => {
  it('reports the broken cluster (file, problem, fix) and still lists the others', async () => {
    const dir = join(home.dir, 'list');
    await mkdir(dir, { mode: 0o700 });
    const { paths: _, ...good } = clusterState([]);
    await writeFile(join(dir, 'good.json'), JSON.stringify({ ...good, name: 'good' }), {
      mode: 0o600,
    });
    const broken = join(dir, 'old.json');
    await writeFile(
      broken,
      JSON.stringify({
        version: 0,
        name: 'old',
        template: 'slurm',
        snapshot: template(),
        created: '2024-01-01T00:00:00.000Z',
        updated: '2024-01-01T00:00:00.000Z',
        nodes: { compute: [null] },
      }),
      { mode: 0o600 },
    );
    for (const json of [false, true]) {
      const r = await runHerd(['list', ...(json ? ['--json'] : [])], {
        env: { ...env, HERD_STORAGE: dir },
      });
      expect(r.code).toBe(1);
      expect(hasStackTrace(r.stderr)).toBe(false);
      expect(r.stderr).not.toMatch(/internal error/i);
      if (json) {
        const out = JSON.parse(r.stdout) as { clusters: { name: string }[]; errors: { message: string }[] };
        expect(out.clusters.map((c) => c.name)).toEqual(['good']);
        expect(out.errors.map((e) => e.message).join('\n')).toContain(broken);
      } else {
        expect(r.stdout).toContain('name:     good');
        expect(r.stderr).toContain(broken);
        expect(r.stderr).toMatch(/nodes\.compute\[0\]/);
        expect(r.stderr).toContain(`mv ${broken} ${broken}.broken`);
      }
    }
  });
});
