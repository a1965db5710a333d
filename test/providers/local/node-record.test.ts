/**
 * A node's `node.json` decides which cgroup herd empties with SIGKILL and which directory it removes:
 * a machine name in it that is not exactly the one herd derives (`..`, a path, another cluster's node)
 * is refused before anything acts on it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import type { ClusterRef } from '../../../src/providers/types.js';
import { silentLogger } from '../../../src/ui/log.js';

let storage: string;
beforeEach(async () => {
  storage = await mkdtemp(join(tmpdir(), 'herd-node-record-'));
});
afterEach(async () => {
  await rm(storage, { recursive: true, force: true });
});

const CLUSTER = 'lpr';
/** A cluster from before ids: its nodes live in `local/nodes/lpr/`, machines are `lpr-<node>`. */
const REF: ClusterRef = { name: CLUSTER, id: undefined };

async function provider() {
  return createLocalProvider(
    { name: 'local', provider: 'local', settings: { subnet: '10.102.0.0/24', bridge: 'hid9' } },
    { storageDir: storage, log: silentLogger },
  );
}

/** Writes node.json of `node` in the cluster's node directory. */
async function writeRecord(node: string, record: Record<string, unknown>): Promise<void> {
  const dir = join(storage, 'local', 'nodes', CLUSTER, node);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'node.json'),
    JSON.stringify({
      version: 1,
      cluster: CLUSTER,
      node,
      kind: 'compute',
      image: 'debian-12',
      lowerDir: '/nonexistent',
      bridge: 'hid9',
      ip: '10.102.0.2',
      ...record,
    }),
  );
}

describe('node.json from disk', () => {
  it.each([
    ['..', '..'],
    ['a path', '../../../etc'],
    ['an absolute path', '/sys/fs/cgroup'],
    ["another node's machine", `${CLUSTER}-compute002`],
    ["another cluster's machine", 'other-compute001'],
  ])('a machine name that is %s is refused before anything acts on it', async (_label, machine) => {
    await writeRecord('compute001', { machine });
    const local = await provider();
    const error = await local.findNodes(REF).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain(
      join(storage, 'local', 'nodes', CLUSTER, 'compute001'),
    );
    expect(String((error as Error).message)).toContain(`"${CLUSTER}-compute001"`);
    await expect(local.describeNodes(REF, [machine])).rejects.toThrow(/node\.json/);
  });

  it('a bridge name that is a path is refused', async () => {
    await writeRecord('compute001', { machine: `${CLUSTER}-compute001`, bridge: '../../etc/passwd' });
    await expect((await provider()).findNodes(REF)).rejects.toThrow(/bridge/);
  });

  it('a node whose creation was cut short (no first-boot files) is reported as an error to replace', async () => {
    await writeRecord('compute001', { version: 2, complete: false, machine: `${CLUSTER}-compute001` });
    const [status] = await (await provider()).findNodes(REF);
    expect(status).toMatchObject({ state: 'error', reason: expect.stringContaining('cut short') });
    await writeRecord('compute001', { version: 2, complete: true, machine: `${CLUSTER}-compute001` });
    expect((await (await provider()).findNodes(REF))[0]!.state).toBe('stopped');
  });

  it('a cluster with an id keeps its nodes in <name>-<id> and names machines <name>-<id>-<node>', async () => {
    const ref: ClusterRef = { name: CLUSTER, id: '0a1b2c3d' };
    const dir = join(storage, 'local', 'nodes', `${CLUSTER}-0a1b2c3d`, 'compute001');
    await mkdir(dir, { recursive: true });
    const record = {
      version: 2,
      complete: true,
      cluster: CLUSTER,
      clusterId: '0a1b2c3d',
      node: 'compute001',
      kind: 'compute',
      image: 'debian-12',
      lowerDir: '/nonexistent',
      bridge: 'hid9',
      ip: '10.102.0.2',
    };
    await writeFile(
      join(dir, 'node.json'),
      JSON.stringify({ ...record, machine: 'lpr-0a1b2c3d-compute001' }),
    );
    expect((await (await provider()).findNodes(ref)).map((n) => n.instanceId)).toEqual([
      'lpr-0a1b2c3d-compute001',
    ]);
    // The same directory claiming the machine name of the cluster from before ids is refused.
    await writeFile(join(dir, 'node.json'), JSON.stringify({ ...record, machine: 'lpr-compute001' }));
    await expect((await provider()).findNodes(ref)).rejects.toThrow(/herd expects "lpr-0a1b2c3d-compute001"/);
    // And the cluster without an id does not see the other's nodes at all.
    expect(await (await provider()).findNodes(REF)).toEqual([]);
  });

  it('the machine name herd derives is accepted', async () => {
    await writeRecord('compute001', { machine: `${CLUSTER}-compute001` });
    const found = await (await provider()).findNodes(REF);
    expect(found.map((n) => [n.instanceId, n.name, n.state])).toEqual([
      [`${CLUSTER}-compute001`, 'compute001', 'stopped'],
    ]);
  });
});
