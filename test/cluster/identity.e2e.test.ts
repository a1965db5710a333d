/**
 * Two storage directories on one host, each with a local cluster named `slurm` on the same bridge:
 * machine names, cgroups and node directories carry each cluster's id, so both run side by side and
 * neither lists, stops or removes the other's nodes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHerdHome, type HerdHome, NOTHING_LEFT } from '../helpers/cluster.js';
import { localSlurmConfig } from '../helpers/configs.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'hid4';
const SUBNET = '10.104.0.0/24';

const CONFIG = localSlurmConfig({ bridge: BRIDGE, subnet: SUBNET, image: 'debian-12', computeNodes: 1 });

interface Listed {
  id: string;
  nodes: { name: string; instanceId: string; state: string }[];
}

describe.skipIf(!canRunLocalNodes)('two storage dirs, one host, one cluster name', () => {
  let a: HerdHome;
  let b: HerdHome;
  beforeAll(async () => {
    a = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: CONFIG });
    b = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: CONFIG });
  });
  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  const listed = async (home: HerdHome): Promise<Listed> => {
    const r = await home.herd(['list-nodes', 'slurm', '-u', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const nodes = (JSON.parse(r.stdout) as { nodes: Listed['nodes'] }).nodes;
    const { id } = JSON.parse(await readFile(join(home.storage, 'slurm.json'), 'utf8')) as { id: string };
    return { id, nodes };
  };

  it('both start: machine names and node directories carry each cluster id', async () => {
    for (const home of [a, b]) {
      const start = await home.herd(['start', 'slurm', '--no-setup']);
      expect(start.code, start.stdout + start.stderr).toBe(0);
    }
    const [la, lb] = [await listed(a), await listed(b)];
    expect(la.id).not.toBe(lb.id);
    for (const l of [la, lb]) {
      expect(l.nodes.map((n) => [n.instanceId, n.state]).sort()).toEqual([
        [`slurm-${l.id}-compute001`, 'ready'],
        [`slurm-${l.id}-frontend001`, 'ready'],
      ]);
    }
    expect((await a.leftovers()).nodeDirs.sort()).toEqual([
      `slurm-${la.id}/compute001`,
      `slurm-${la.id}/frontend001`,
    ]);
    expect((await a.leftovers()).pids).toHaveLength(2);
    expect((await b.leftovers()).pids).toHaveLength(2);
  });

  it("stopping one leaves the other's nodes running and reachable, then that stops cleanly too", async () => {
    const pidsB = (await b.leftovers()).pids.sort();
    const stop = await a.herd(['stop', 'slurm', '--yes']);
    expect(stop.code, stop.stderr).toBe(0);
    const left = await a.leftovers();
    expect([left.pids, left.mounts, left.nodeDirs]).toEqual([[], [], []]);
    expect((await b.leftovers()).pids.sort()).toEqual(pidsB);
    const ssh = await b.herd(['ssh', 'slurm', '--', 'hostname']);
    expect(ssh.code, ssh.stderr).toBe(0);
    expect(ssh.stdout.trim()).toBe('frontend001');

    const stopB = await b.herd(['stop', 'slurm', '--yes']);
    expect(stopB.code, stopB.stderr).toBe(0);
    expect(await b.leftovers()).toEqual(NOTHING_LEFT);
  });
});
