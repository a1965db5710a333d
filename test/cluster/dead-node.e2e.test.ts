/**
 * A node whose container dies while the cluster boots, on real nodes: herd fails it at once with its
 * console's last lines (not at start_timeout), keeps probing the live nodes, and `<kind>_nodes_min`
 * decides as before. compute002 runs an image_userdata that holds its sshd back for minutes, so the
 * test can kill its systemd-nspawn while herd waits for SSH, at a moment that does not depend on timing.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { herdBin } from '../helpers/cli.js';
import { createHerdHome, type HerdHome, localConfig, NOTHING_LEFT } from '../helpers/cluster.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'hsc0';
const SUBNET = '10.180.0.0/24';

// The userdata unit runs before ssh.service: compute002's sshd stays down while this sleeps.
const EXTRA = `
[cluster/dying]
cloud=local
login=local
setup=slurm
image_id=debian-12
frontend_nodes=1
compute_nodes=2
compute_nodes_min=1
# Far longer than the test may take: only the dead-node check can end compute002's wait.
start_timeout=600

[cluster/dying/compute]
image_userdata=[ "$(hostname)" = compute002 ] && sleep 900 || true
`;

describe.skipIf(!canRunLocalNodes)('a node that dies during boot', () => {
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

  it('fails at once with its console as the reason; the live nodes come up; stop leaves nothing', async () => {
    const child = spawn(process.execPath, [herdBin, 'start', 'dying', '--no-setup'], {
      env: { ...process.env, ...home.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let killed: number | undefined;
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      stderr += d;
      if (killed === undefined && /compute002: running, waiting for SSH/.test(stderr)) {
        // The nspawn herd started for compute002 (its PID from node.json): SIGKILL, as the OOM killer would.
        const record = join(home.storage, 'local', 'nodes', home.nodeDir('dying'), 'compute002', 'node.json');
        killed = (JSON.parse(readFileSync(record, 'utf8')) as { pid: number }).pid;
        process.kill(killed, 'SIGKILL');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(killed, stderr).toBeDefined();
    expect(code, stderr).toBe(0);
    // Dropped for its own death, with the console's words; not an SSH timeout.
    expect(stderr).toMatch(/compute: 1 of 2 nodes came up \(minimum 1\); removed 1 failed node/);
    expect(stderr).toContain(`compute002: its container (systemd-nspawn PID ${killed}) exited; console: `);
    expect(stderr).not.toMatch(/no SSH before the start timeout/);

    const list = await home.herd(['list-nodes', 'dying', '--json']);
    const state = JSON.parse(list.stdout) as { nodes: { name: string; state: string }[] };
    expect(state.nodes.map((n) => [n.name, n.state])).toEqual([
      ['frontend001', 'ready'],
      ['compute001', 'ready'],
    ]);
    const left = await home.leftovers();
    expect(left.pids.length).toBe(2);
    const dir = home.nodeDir('dying');
    expect(left.nodeDirs.sort()).toEqual([`${dir}/compute001`, `${dir}/frontend001`]);

    const stop = await home.herd(['stop', 'dying', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(await home.leftovers()).toEqual(NOTHING_LEFT);
  });
});
