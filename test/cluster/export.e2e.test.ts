/**
 * A local cluster moves to another storage directory with `herd export` / `herd import -n`: the
 * imported copy reaches its nodes over SSH with the pinned host keys it brought along, and stopping
 * it from there terminates the very nodes the exporting install started (node directories, mounts,
 * bridge and NAT table gone). One cluster (1+1, no setup) for every assertion.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHerdHome, type HerdHome, NOTHING_LEFT } from '../helpers/cluster.js';
import { slurmConfig } from '../helpers/configs.js';
import { canRunLocalNodes } from '../helpers/local-nodes.js';

const BRIDGE = 'hex0';
const SUBNET = '10.170.0.0/24';

const CONFIG = slurmConfig({
  comment: 'herd export/import end-to-end test',
  cloud: { name: 'local', settings: { provider: 'local', bridge: BRIDGE, subnet: SUBNET } },
  login: { name: 'local', settings: { image_user: 'root' } },
  cluster: { image_id: 'debian-12' },
  computeNodes: 1,
});

describe.skipIf(!canRunLocalNodes)(
  'export a local cluster, import it elsewhere, stop it from the copy',
  () => {
    let a: HerdHome;
    let b: HerdHome;
    let archive: string;
    beforeAll(async () => {
      a = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: CONFIG });
      b = await createHerdHome({ bridge: BRIDGE, subnet: SUBNET, config: CONFIG });
      archive = join(a.dir, 'slurm.tar.gz');
    });
    afterAll(async () => {
      await b?.destroy();
      await a?.destroy();
    });

    it('exports a running cluster and imports it under a new name', async () => {
      const start = await a.herd(['start', 'slurm', '--no-setup']);
      expect(start.code, start.stdout + start.stderr).toBe(0);
      const exported = await a.herd(['export', 'slurm', '-o', archive]);
      expect(exported.code, exported.stderr).toBe(0);
      expect((await stat(archive)).mode & 0o777).toBe(0o600);

      const imported = await b.herd(['import', archive, '-n', 'moved', '--json']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ cluster: 'moved', from: 'slurm', nodes: 2 });
      expect(await readFile(join(b.storage, 'moved.known_hosts'), 'utf8')).toBe(
        await readFile(join(a.storage, 'slurm.known_hosts'), 'utf8'),
      );
    });

    it('herd ssh reaches the frontend from the imported copy with the pinned host keys', async () => {
      const original = await a.herd(['ssh', 'slurm', '--', 'hostname']);
      expect(original.code, original.stderr).toBe(0);
      const copy = await b.herd(['ssh', 'moved', '--', 'hostname']);
      expect(copy.code, copy.stderr).toBe(0);
      expect(copy.stdout.trim()).not.toBe('');
      expect(copy.stdout).toBe(original.stdout);
    });

    it('stop from the imported copy terminates the nodes the exporting install started', async () => {
      const stop = await b.herd(['stop', 'moved', '--yes']);
      expect(stop.code, stop.stdout + stop.stderr).toBe(0);
      expect(stop.stderr).toContain('Cluster "moved" was imported (exported as "slurm"');
      expect(stop.stdout).toContain('2 node(s) terminated');
      expect(await a.leftovers()).toEqual(NOTHING_LEFT);
      expect(await b.leftovers()).toEqual(NOTHING_LEFT);
      // The exporting install still lists the cluster; asking the cloud shows its nodes are gone.
      const listed = await a.herd(['list-nodes', 'slurm', '-u', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const states = (JSON.parse(listed.stdout) as { nodes: { state: string }[] }).nodes.map((n) => n.state);
      expect(states).toEqual(['terminated', 'terminated']);
    });
  },
);
