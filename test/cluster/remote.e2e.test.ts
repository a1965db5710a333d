/**
 * Working on a cluster of real nodes (systemd-nspawn, OpenSSH): `herd exec` with selectors, grouped
 * and JSON output, timeouts and Ctrl-C that end the remote commands; `herd put` and `herd get` of
 * trees over SFTP. One small cluster started with --no-setup serves every test.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herdBin, runHerd } from '../helpers/cli.js';
import { createHerdHome, type HerdHome, localConfig } from '../helpers/cluster.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'htl0';
const SUBNET = '10.140.0.0/24';

describe.skipIf(!canRunLocalNodes)('exec, put and get on a running cluster', () => {
  let home: HerdHome;
  beforeAll(async () => {
    // A template whose setup is a playbook of seconds, for the progress display of `herd setup`.
    const quick = `
[setup/quick]
provider=ansible
playbook_path=${join(import.meta.dirname, 'fixtures', 'quick-setup.yml')}
frontend_groups=slurm_master
compute_groups=slurm_worker

[cluster/quick]
cloud=local
login=local
setup=quick
image_id=debian-12
frontend_nodes=1
compute_nodes=2
`;
    home = await createHerdHome({
      bridge: BRIDGE,
      subnet: SUBNET,
      config: localConfig({ bridge: BRIDGE, subnet: SUBNET, image: 'debian-12', extra: quick }),
    });
    const start = await home.herd(['start', 'quick', '-n', 'work', '--no-setup']);
    if (start.code !== 0) throw new Error(`herd start failed: ${start.stdout}${start.stderr}`);
  });
  afterAll(async () => {
    await home?.destroy();
  });

  const lines = (text: string) => text.trim().split('\n').sort();

  it('runs a command on every node, each output line prefixed with its node', async () => {
    const r = await home.herd(['exec', 'work', '--', 'hostname; echo "to stderr" >&2']);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'compute001: compute001',
      'compute002: compute002',
      'frontend001: frontend001',
    ]);
    expect(lines(r.stderr)).toEqual([
      'compute001: to stderr',
      'compute002: to stderr',
      'frontend001: to stderr',
    ]);
  });

  it('selects nodes by range, glob, kind and recorded facts', async () => {
    const names = async (...selection: string[]) => {
      const r = await home.herd(['exec', 'work', ...selection, '--', 'hostname']);
      expect(r.code, r.stderr).toBe(0);
      return lines(r.stdout).map((l) => l.split(': ')[1]);
    };
    expect(await names('compute[002]')).toEqual(['compute002']);
    expect(await names('compute00*')).toEqual(['compute001', 'compute002']);
    expect(await names('-k', 'frontend')).toEqual(['frontend001']);
    expect(await names('-n', 'frontend001,compute[1]')).toEqual(['compute001', 'frontend001']);
    expect(await names('state=ready', 'ip=10.140.0.*', 'kind!=frontend')).toEqual([
      'compute001',
      'compute002',
    ]);
    const none = await home.herd(['exec', 'work', 'compute[009]', '--', 'true']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('"compute[009]" matches no node or kind of cluster "work"');
    expect(none.stderr).toContain('compute001 (ready, 10.140.0.');
  });

  it('--group prints identical output once, naming its nodes', async () => {
    const r = await home.herd([
      'exec',
      'work',
      '--group',
      '--',
      'cat /etc/debian_version | cut -d. -f1; [ $(hostname) != compute002 ]',
    ]);
    expect(r.code).toBe(1);
    const out = r.stdout.split('\n');
    expect(out[1]).toBe('frontend001,compute001');
    expect(out[3]).toBe('12');
    expect(out[5]).toBe('compute002 (exit 1)');
    expect(out[7]).toBe('12');
    expect(r.stderr).toContain('exec failed on 1 of 3 node(s):\n  compute002: exit 1');
  });

  it('--json prints one object per node with its exit status and both streams', async () => {
    const r = await home.herd([
      'exec',
      'work',
      '--json',
      '--',
      'hostname; echo err >&2; [ $(hostname) = compute001 ] && exit 7; true',
    ]);
    expect(r.code).toBe(1);
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .sort((a, b) => String(a['node']).localeCompare(String(b['node'])));
    expect(records.map((x) => [x['node'], x['status'], x['exitCode'], x['stdout'], x['stderr']])).toEqual([
      ['compute001', 'exited', 7, 'compute001\n', 'err\n'],
      ['compute002', 'exited', 0, 'compute002\n', 'err\n'],
      ['frontend001', 'exited', 0, 'frontend001\n', 'err\n'],
    ]);
    expect(r.stderr).toContain('compute001: exit 7');
  });

  it('a per-node timeout ends the remote command and all it started', async () => {
    const r = await home.herd([
      'exec',
      'work',
      '-k',
      'compute',
      '-t',
      '2',
      '--',
      'sleep 61 & sleep 62; echo never',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('never');
    expect(r.stderr).toContain('exec failed on 2 of 2 node(s):\n  compute[001-002]: timed out');
    const left = await home.herd(['exec', 'work', '-k', 'compute', '--', '! pgrep -f "sleep 6[12]"']);
    expect(left.code, left.stdout).toBe(0);
  });

  it('Ctrl-C ends the remote commands and exits 130', async () => {
    const child = spawn(process.execPath, [herdBin, 'exec', 'work', '--', 'echo started; sleep 63'], {
      env: { ...process.env, ...home.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        stdout += d;
        if ((stdout.match(/started/g) ?? []).length === 3) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('Interrupted: ending the remote commands');
    expect(stderr).toContain('frontend001,compute[001-002]: interrupted');
    const left = await home.herd(['exec', 'work', '--', '! pgrep -f "sleep 6[3]"']);
    expect(left.code, left.stdout).toBe(0);
  });

  it('accepts only the host key known_hosts pins for a node, as herd ssh does', async () => {
    const knownHosts = join(home.storage, 'work.known_hosts');
    const pinned = await readFile(knownHosts, 'utf8');
    // Another valid key for compute001 (a fresh one), and no line at all for compute002.
    const other = await execa('ssh-keygen', ['-y', '-f', join(home.storage, 'work.key')]);
    const [type, base64] = other.stdout.trim().split(' ');
    const edited = pinned
      .split('\n')
      .filter((l) => !l.startsWith('compute002 '))
      .map((l) => (l.startsWith('compute001 ') ? `compute001 ${type} ${base64}` : l))
      .join('\n');
    await writeFile(knownHosts, edited, { mode: 0o600 });
    try {
      const r = await home.herd(['exec', 'work', '--', 'hostname']);
      expect(r.code).toBe(1);
      expect(r.stdout.trim()).toBe('frontend001: frontend001');
      expect(r.stderr).toMatch(
        /compute001: .*host key changed: pinned ssh-ed25519 SHA256:.*refusing to connect/,
      );
      expect(r.stderr).toContain(`compute002: no host key is pinned for it in ${knownHosts}`);
      const get = await home.herd(['get', 'work', 'compute001', '/etc/hostname', join(home.dir, 'pinned')]);
      expect(get.code).toBe(1);
      expect(get.stderr).toContain('host key changed');
      expect(existsSync(join(home.dir, 'pinned', 'compute001'))).toBe(false);
      // herd ssh refuses the same node for the same reason.
      const ssh = await home.herd(['ssh', 'work', '-n', 'compute001', '--', 'hostname']);
      expect(ssh.code).not.toBe(0);
      expect(ssh.stdout).not.toContain('compute001');
    } finally {
      await writeFile(knownHosts, pinned, { mode: 0o600 });
    }
    const again = await home.herd(['exec', 'work', '--', 'true']);
    expect(again.code, again.stderr).toBe(0);
  });

  describe('setup progress', () => {
    it('off a terminal: one line per play, the step with its task count and time', async () => {
      const r = await home.herd(['setup', 'work']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stderr.split('\n');
      expect(lines).toContain('Configure 3 node(s) with Ansible ...');
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^ {2}play 1 "Quick play": 2 task\(s\) on 3 host\(s\), 3 changed, 0 failed \(0:\d\d\)$/,
          ),
          expect.stringMatching(
            /^ {2}play 2 "Second quick play": 1 task\(s\) on 3 host\(s\), 3 changed, 0 failed/,
          ),
          expect.stringMatching(/^Configure 3 node\(s\) with Ansible done \(3 task\(s\) in 0:\d\d\)$/),
        ]),
      );
    });

    it('a failing host is shown at once with its task, before the run ends', async () => {
      const r = await runHerd(['setup', 'work', '--', '-e', 'herd_test_fail=1'], {
        env: home.env,
        timeoutMs: 300_000,
      });
      expect(r.code).toBe(1);
      const failed = r.stderr.indexOf('  FAILED compute002 in task "Maybe fail": told to fail');
      expect(failed, r.stderr).toBeGreaterThan(-1);
      expect(failed).toBeLessThan(r.stderr.indexOf('play 2 "Second quick play"'));
      expect(r.stderr).toContain('Ansible setup failed on 1 host (compute002)');
    });

    it('on a terminal: the live view of plays and tasks, erased when done', async () => {
      // script(1) runs herd on a pseudo-terminal, as a user at a terminal would.
      const r = await execa('script', ['-qec', `${process.execPath} ${herdBin} setup work`, '/dev/null'], {
        env: { ...process.env, ...home.env, COLUMNS: '120' },
        reject: false,
        timeout: 300_000,
        stdin: 'ignore',
      });
      expect(r.exitCode, String(r.stdout)).toBe(0);
      expect(r.stdout).toContain('  play 2: Second quick play');
      expect(r.stdout).toMatch(/ {2}task Say done: \d\/3 host\(s\) done, \d changed, 0 failed/);
      expect(r.stdout).toMatch(
        /Configure 3 node\(s\) with Ansible {2}(\[[#-]{20}\] \d+\/\d+\+? tasks|\d+ task\(s\)) {2}0:\d\d/,
      );
      expect(r.stdout).toContain('\x1b[J');
      expect(r.stdout).toMatch(/Configure 3 node\(s\) with Ansible done \(3 task\(s\) in 0:\d\d\)/);
    });
  });

  describe('put and get', () => {
    let local: string;
    let digest: string;
    beforeAll(async () => {
      local = join(home.dir, 'tree');
      await mkdir(join(local, 'sub'), { recursive: true });
      const data = randomBytes(300_000);
      digest = createHash('sha256').update(data).digest('hex');
      await writeFile(join(local, 'sub', 'data.bin'), data);
      await writeFile(join(local, 'run.sh'), '#!/bin/sh\necho ran\n');
      await chmod(join(local, 'run.sh'), 0o750);
      await symlink('run.sh', join(local, 'link'));
      await writeFile(join(home.dir, 'one.txt'), 'one\n');
      await writeFile(join(home.dir, 'two.txt'), 'two\n');
    });

    it('put copies a tree, keeping modes and links, to the selected nodes', async () => {
      const r = await home.herd(['put', 'work', '-k', 'compute', local, '/tmp/put-tree']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('compute[001-002]: 2 file(s), 300 kB to /tmp/put-tree');
      const check = await home.herd([
        'exec',
        'work',
        '--json',
        '--',
        'cd /tmp/put-tree && sha256sum sub/data.bin | cut -d" " -f1 && stat -c %a run.sh && readlink link && ./link',
      ]);
      const records = check.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { node: string; exitCode: number; stdout: string });
      const compute = records.filter((x) => x.node.startsWith('compute'));
      for (const rec of compute) expect(rec.stdout).toBe(`${digest}\n750\nrun.sh\nran\n`);
      expect(records.find((x) => x.node === 'frontend001')!.exitCode).not.toBe(0);
    });

    it('put with a selector word copies several files into a directory', async () => {
      const r = await home.herd([
        'put',
        'work',
        'compute001',
        join(home.dir, 'one.txt'),
        join(home.dir, 'two.txt'),
        '/root/',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('compute001: 2 file(s)');
      const check = await home.herd([
        'exec',
        'work',
        '-k',
        'compute',
        '--',
        'cat /root/one.txt /root/two.txt',
      ]);
      expect(lines(check.stdout)).toEqual(['compute001: one', 'compute001: two']);
      expect(check.stderr).toContain('compute002: cat: /root/one.txt: No such file or directory');
    });

    it('put refuses several files onto a path that is not a directory, and a missing local file', async () => {
      const several = await home.herd([
        'put',
        'work',
        '-n',
        'compute001',
        join(home.dir, 'one.txt'),
        join(home.dir, 'two.txt'),
        '/tmp/nodir',
      ]);
      expect(several.code).toBe(1);
      expect(several.stderr).toContain('compute001: /tmp/nodir is not a directory there');
      const missing = await home.herd(['put', 'work', join(home.dir, 'nope.txt'), '/tmp/']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`Local file ${join(home.dir, 'nope.txt')} cannot be read: ENOENT`);
    });

    it('get copies a tree from each node into LOCALDIR/<node>/', async () => {
      const out = join(home.dir, 'got');
      const r = await home.herd(['get', 'work', 'compute*', '/tmp/put-tree', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const records = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.map((x) => [x['node'], x['status'], x['files']]).sort()).toEqual([
        ['compute001', 'done', 2],
        ['compute002', 'done', 2],
      ]);
      for (const node of ['compute001', 'compute002']) {
        const top = join(out, node, 'put-tree');
        const data = await readFile(join(top, 'sub', 'data.bin'));
        expect(createHash('sha256').update(data).digest('hex')).toBe(digest);
        expect((await lstat(join(top, 'run.sh'))).mode & 0o777).toBe(0o750);
        expect(await readlink(join(top, 'link'))).toBe('run.sh');
      }
      expect(existsSync(join(out, 'frontend001'))).toBe(false);
    });

    it('get of a single file, and of a path missing on some nodes', async () => {
      const out = join(home.dir, 'got-one');
      const r = await home.herd(['get', 'work', '/etc/hostname', out]);
      expect(r.code, r.stderr).toBe(0);
      for (const node of ['frontend001', 'compute001', 'compute002']) {
        expect(readFileSync(join(out, node, 'hostname'), 'utf8').trim()).toBe(node);
      }
      const partial = await home.herd(['get', 'work', '/root/one.txt', out]);
      expect(partial.code).toBe(1);
      expect(partial.stdout).toContain('compute001: 1 file(s)');
      expect(partial.stderr).toContain('get failed on 2 of 3 node(s):');
      expect(partial.stderr).toContain('frontend001,compute002: /root/one.txt does not exist there.');
    });
  });
});
