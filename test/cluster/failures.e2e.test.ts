/**
 * What goes wrong, on real nodes: a node that never answers SSH (with and without <kind>_nodes_min), a host
 * key changed under herd's feet, and Ctrl-C during start. Each ends with `herd stop` leaving nothing behind.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herdBin } from '../helpers/cli.js';
import { createHerdHome, type HerdHome, localConfig, NOTHING_LEFT } from '../helpers/cluster.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'herde2e1';
const SUBNET = '10.81.0.0/24';
// compute002's sshd listens on loopback only: the node runs, but never answers SSH on its address.
const NO_SSH_ON_COMPUTE002 =
  'image_userdata=[ "$(hostname)" = compute002 ] && echo "ListenAddress 127.0.0.1" > /etc/ssh/sshd_config.d/herd-test.conf || true';

/** A 1 frontend + N compute template on the plain image; `extra` lines go into [cluster/NAME]. */
function template(name: string, computeNodes: number, extra = ''): string {
  return `
[cluster/${name}]
cloud=local
login=local
setup=slurm
image_id=debian-12
frontend_nodes=1
compute_nodes=${computeNodes}
${extra}
`;
}

const EXTRA = [
  template('nossh', 2, 'start_timeout=20'),
  `[cluster/nossh/compute]\n${NO_SSH_ON_COMPUTE002}\n`,
  template('nosshmin', 2, 'compute_nodes_min=1\nstart_timeout=20'),
  `[cluster/nosshmin/compute]\n${NO_SSH_ON_COMPUTE002}\n`,
  template('small', 1),
].join('');

describe.skipIf(!canRunLocalNodes)('failures on real nodes', () => {
  let home: HerdHome;
  beforeAll(async () => {
    home = await createHerdHome({
      bridge: BRIDGE,
      subnet: SUBNET,
      config: localConfig({ bridge: BRIDGE, subnet: SUBNET, extra: EXTRA }),
    });
  });
  afterAll(async () => {
    await home?.destroy();
  });

  it('fails when a node never answers SSH and no minimum allows fewer nodes; stop removes all', async () => {
    const start = await home.herd(['start', 'nossh', '--no-setup']);
    expect(start.code, start.stderr).toBe(1);
    expect(start.stderr).toContain('herd: error [NodesFailed]: ');
    expect(start.stderr).toMatch(/compute: 1 of 2 nodes ready, minimum 2/);
    expect(start.stderr).toMatch(/compute002: SSH: /);
    expect(start.stderr).toContain('herd stop nossh');
    const state = JSON.parse((await home.herd(['list-nodes', 'nossh', '--json'])).stdout) as {
      nodes: { name: string; state: string }[];
    };
    expect(state.nodes.find((n) => n.name === 'compute002')?.state).toBe('failed');
    expect((await home.leftovers()).pids.length).toBe(3);

    const stop = await home.herd(['stop', 'nossh', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });

  it('drops the failed node with a warning when <kind>_nodes_min allows it', async () => {
    const start = await home.herd(['start', 'nosshmin', '--no-setup']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toMatch(/compute: 1 of 2 nodes came up \(minimum 1\); removed 1 failed node/);
    const state = JSON.parse((await home.herd(['list-nodes', 'nosshmin', '--json'])).stdout) as {
      nodes: { name: string }[];
    };
    expect(state.nodes.map((n) => n.name)).toEqual(['frontend001', 'compute001']);
    const left = await home.leftovers();
    const dir = home.nodeDir('nosshmin');
    expect(left.nodeDirs.sort()).toEqual([`${dir}/compute001`, `${dir}/frontend001`]);
    expect(left.pids.length).toBe(2);

    const stop = await home.herd(['stop', 'nosshmin', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });

  it('refuses a host key changed under its feet, in ssh and in setup', async () => {
    const start = await home.herd(['start', 'small', '--no-setup']);
    expect(start.code, start.stderr).toBe(0);
    const ok = await home.herd(['ssh', 'small', '--', 'true']);
    expect(ok.code, ok.stderr).toBe(0);

    const rekey = await home.herd([
      'ssh',
      'small',
      '--',
      'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A && systemctl restart ssh',
    ]);
    expect(rekey.code, rekey.stderr).toBe(0);

    const refused = await home.herd(['ssh', 'small', '--', 'true']);
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);

    const setup = await home.herd(['setup', 'small']);
    expect(setup.code).toBe(1);
    expect(setup.stderr).toContain('herd: error [AnsibleFailed]: ');
    expect(setup.stderr).toMatch(/frontend001/);
    expect(setup.stderr).toMatch(/host key/i);

    const stop = await home.herd(['stop', 'small', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });

  it('a crash (SIGKILL) during start: start NAME resumes creating only what is missing; stop leaves nothing', async () => {
    const child = spawn(process.execPath, [herdBin, 'start', 'small', '-n', 'crashed', '--no-setup'], {
      env: { ...process.env, ...home.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/running, waiting for SSH/.test(stderr)) child.kill('SIGKILL');
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_c, s) => resolve(s)),
    );
    expect(signal, stderr).toBe('SIGKILL');
    const crashed = await home.leftovers();
    // At least one node was booted before the crash (which ones depends on timing on a busy machine).
    expect(crashed.pids.length, stderr).toBeGreaterThan(0);

    const resume = await home.herd(['start', 'small', '-n', 'crashed', '--no-setup']);
    expect(resume.code, resume.stderr).toBe(0);
    const state = JSON.parse((await home.herd(['list-nodes', 'crashed', '--json'])).stdout) as {
      nodes: { name: string; state: string }[];
    };
    expect(state.nodes.map((n) => [n.name, n.state])).toEqual([
      ['frontend001', 'ready'],
      ['compute001', 'ready'],
    ]);
    // The nodes the crashed run booted were adopted and reused, not duplicated or replaced.
    const resumed = await home.leftovers();
    expect(resumed.pids.length).toBe(2);
    for (const pid of crashed.pids) expect(resumed.pids).toContain(pid);

    const stop = await home.herd(['stop', 'crashed', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });

  it('Ctrl-C during start exits 130 with a hint, keeps consistent state, and stop then leaves nothing', async () => {
    const child = spawn(process.execPath, [herdBin, 'start', 'slurm', '--no-setup'], {
      env: { ...process.env, ...home.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let interrupted = false;
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!interrupted && /creating/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(interrupted).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('herd: error [Interrupted]: ');
    expect(stderr).toMatch(/herd start slurm -n slurm|herd stop slurm/);

    const list = await home.herd(['list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).clusters.map((c: { name: string }) => c.name)).toEqual(['slurm']);

    const stop = await home.herd(['stop', 'slurm', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });
});
