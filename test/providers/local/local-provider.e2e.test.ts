/**
 * The local provider against real systemd-nspawn nodes: parallel creation, identity per node,
 * shared bridge between clusters, PID-only process handling, stop/start, and a teardown that
 * leaves nothing behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import { natTable } from '../../../src/providers/local/nat.js';
import type { ClusterRef, Provider } from '../../../src/providers/types.js';
import { silentLogger } from '../../../src/ui/log.js';
import { readStartTime } from '../../../src/util/proc.js';
import {
  canRunLocalNodes,
  createLocalTestEnv,
  interfaceExists,
  type LocalTestEnv,
  localTestCloud,
  mountsUnder,
  nftTableExists,
  sshRun,
  TEST_BRIDGE,
  waitForPort,
  waitForSsh,
} from '../../helpers/local-nodes.js';

const CLUSTER: ClusterRef = { name: 'lpa', id: '0b1c2d3e' };
/** The cluster's node directory (`<name>-<id>`). */
const DIR = 'lpa-0b1c2d3e';
const nodes = ['compute001', 'compute002', 'compute003'].map((name) => ({
  name,
  cloudName: `lpa-0b1c2d3e-${name}`,
}));

function pidOf(env: LocalTestEnv, dir: string, node: string): Promise<number> {
  return readFile(join(env.storageDir, 'local/nodes', dir, node, 'node.json'), 'utf8').then(
    (t) => JSON.parse(t).pid,
  );
}

function alive(pid: number): boolean {
  return readStartTime(pid) !== undefined;
}

describe.skipIf(!canRunLocalNodes)('local provider on real nodes', () => {
  let env: LocalTestEnv;
  let provider: Provider;
  let ipForwardBefore: string;
  const ips = new Map<string, string>();

  beforeAll(async () => {
    ipForwardBefore = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    env = await createLocalTestEnv();
    provider = await createLocalProvider(localTestCloud(), { storageDir: env.storageDir, log: silentLogger });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('creates 3 nodes in parallel, each with its own IP, hostname, machine-id and host key', async () => {
    const login = { user: 'root', publicKey: env.publicKey, keyName: undefined };
    const started = Date.now();
    const result = await provider.createNodes({
      cluster: CLUSTER,
      runId: 'r1',
      template: CLUSTER.name,
      kind: 'compute',
      nodes,
      settings: {},
      login,
    });
    const createdMs = Date.now() - started;
    expect(result.failed).toEqual([]);
    expect(result.created.map((n) => n.instanceId).sort()).toEqual(nodes.map((n) => n.cloudName));
    for (const node of result.created) ips.set(node.name, node.privateIps[0]!);
    await Promise.all([...ips.values()].map((ip) => waitForPort(ip, 22, 60_000)));
    console.log(`3 nodes: createNodes ${createdMs} ms; port 22 open on all after ${Date.now() - started} ms`);

    expect(new Set(ips.values()).size).toBe(3);
    for (const ip of ips.values()) expect(ip).toMatch(/^10\.79\.0\.\d+$/);
    const seen = await Promise.all(
      nodes.map(async ({ name }) => {
        const ip = ips.get(name)!;
        await waitForSsh(ip, env.privateKey);
        const out = await sshRun(
          ip,
          env.privateKey,
          'hostname; cat /etc/machine-id; cat /etc/ssh/ssh_host_ed25519_key.pub',
        );
        const [hostname, machineId, hostKey] = out.split('\n');
        return { name, hostname, machineId, hostKey };
      }),
    );
    for (const s of seen) expect(s.hostname).toBe(s.name);
    expect(new Set(seen.map((s) => s.machineId)).size).toBe(3);
    expect(new Set(seen.map((s) => s.hostKey)).size).toBe(3);
    for (const s of seen) expect(s.machineId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives nodes systemd, the network and a usable /dev/fuse', async () => {
    const ip = ips.get('compute001')!;
    const out = await sshRun(
      ip,
      env.privateKey,
      'ps -p 1 -o comm=; ip -4 -o addr show host0 | grep -o "inet [0-9./]*"; ip route show default; exec 3<>/dev/fuse && echo fuse-opened',
    );
    expect(out).toContain('systemd');
    expect(out).toContain(`inet ${ip}/24`);
    expect(out).toContain('default via 10.79.0.1');
    expect(out).toContain('fuse-opened');
    // Nodes reach each other by address on the bridge.
    const other = ips.get('compute002')!;
    expect(await sshRun(ip, env.privateKey, `timeout 3 bash -c '</dev/tcp/${other}/22' && echo reach`)).toBe(
      'reach',
    );
  });

  it('describes and finds the nodes as running, and the bridge has NAT', async () => {
    const described = await provider.describeNodes(CLUSTER, [
      ...nodes.map((n) => n.cloudName),
      'lpa-0b1c2d3e-nosuch001',
    ]);
    expect(described.map((d) => d.state)).toEqual(['running', 'running', 'running', 'terminated']);
    expect(described[0]!.privateIps).toEqual([ips.get('compute001')]);
    const found = await provider.findNodes(CLUSTER);
    expect(found.map((n) => n.name).sort()).toEqual(nodes.map((n) => n.name));
    expect(interfaceExists(TEST_BRIDGE)).toBe(true);
    expect(nftTableExists('ip', natTable(TEST_BRIDGE))).toBe(true);
    expect((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim()).toBe('1');
  });

  it('runs a cluster of the same name from another storage dir beside it: own machines, addresses, dirs', async () => {
    const env2 = await createLocalTestEnv();
    try {
      const provider2 = await createLocalProvider(localTestCloud(), {
        storageDir: env2.storageDir,
        log: silentLogger,
      });
      const other: ClusterRef = { name: 'lpa', id: '9e8d7c6b' };
      const login = { user: 'root', publicKey: env2.publicKey, keyName: undefined };
      const spec = [{ name: 'compute001', cloudName: 'lpa-9e8d7c6b-compute001' }];
      const result = await provider2.createNodes({
        cluster: other,
        runId: 'r2',
        template: other.name,
        kind: 'compute',
        nodes: spec,
        settings: {},
        login,
      });
      expect(result.failed).toEqual([]);
      expect(result.created[0]!.instanceId).toBe('lpa-9e8d7c6b-compute001');
      const ip = result.created[0]!.privateIps[0]!;
      expect([...ips.values()]).not.toContain(ip);
      await waitForSsh(ip, env2.privateKey);
      expect(await sshRun(ip, env2.privateKey, 'hostname')).toBe('compute001');
      // Neither provider sees the other's compute001.
      expect((await provider2.findNodes(other)).map((n) => n.instanceId)).toEqual([
        'lpa-9e8d7c6b-compute001',
      ]);
      expect((await provider.findNodes(CLUSTER)).map((n) => n.instanceId).sort()).toEqual(
        nodes.map((n) => n.cloudName),
      );
      await provider2.terminateNodes(other, ['lpa-9e8d7c6b-compute001']);
      await provider2.cleanup(other);
      expect(existsSync(join(env2.storageDir, 'local/nodes/lpa-9e8d7c6b'))).toBe(false);
      // The first cluster's nodes still run, and the bridge stays for them.
      expect((await provider.describeNodes(CLUSTER, [nodes[0]!.cloudName]))[0]!.state).toBe('running');
      expect(interfaceExists(TEST_BRIDGE)).toBe(true);
    } finally {
      await env2.teardown();
    }
  });

  it('stops a node keeping its disk, and starts it again with the same address and identity', async () => {
    const id = 'lpa-0b1c2d3e-compute003';
    const ip = ips.get('compute003')!;
    const machineId = await sshRun(ip, env.privateKey, 'cat /etc/machine-id; echo kept > /root/marker');
    const pid = await pidOf(env, DIR, 'compute003');
    await provider.stopNodes!(CLUSTER, [id]);
    expect(alive(pid)).toBe(false);
    expect((await provider.describeNodes(CLUSTER, [id]))[0]!.state).toBe('stopped');
    expect(await mountsUnder(join(env.storageDir, 'local/nodes', DIR, 'compute003'))).toEqual([]);
    await provider.startNodes!(CLUSTER, [id]);
    const [status] = await provider.describeNodes(CLUSTER, [id]);
    expect(status!.state).toBe('running');
    expect(status!.privateIps).toEqual([ip]);
    await waitForSsh(ip, env.privateKey);
    expect(await sshRun(ip, env.privateKey, 'cat /etc/machine-id; cat /root/marker')).toBe(
      `${machineId.split('\n')[0]}\nkept`,
    );
  });

  it('reports a node killed by PID as not running', async () => {
    const id = 'lpa-0b1c2d3e-compute002';
    const pid = await pidOf(env, DIR, 'compute002');
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    const [status] = await provider.describeNodes(CLUSTER, [id]);
    expect(status!.state).not.toBe('running');
  });

  it('never trusts or kills a recycled PID', async () => {
    const id = 'lpa-0b1c2d3e-compute002';
    const record = join(env.storageDir, 'local/nodes', DIR, 'compute002', 'node.json');
    const saved = JSON.parse(await readFile(record, 'utf8'));
    // Impostors: an unrelated process, and one whose command line even names the machine.
    const plain = spawn('sleep', ['300'], { stdio: 'ignore' });
    const lookalike = spawn('/bin/sh', ['-c', 'sleep 300; true', 'systemd-nspawn', `--machine=${id}`], {
      stdio: 'ignore',
    });
    try {
      for (const impostor of [plain, lookalike]) {
        await writeFile(record, JSON.stringify({ ...saved, pid: impostor.pid }));
        expect((await provider.describeNodes(CLUSTER, [id]))[0]!.state).not.toBe('running');
      }
      // The lookalike's own start time but another machine name: still not trusted.
      await writeFile(
        record,
        JSON.stringify({ ...saved, pid: plain.pid, pidStartTime: readStartTime(plain.pid!) }),
      );
      expect((await provider.describeNodes(CLUSTER, [id]))[0]!.state).not.toBe('running');
      await provider.terminateNodes(CLUSTER, [id]);
      expect(alive(plain.pid!)).toBe(true);
      expect(alive(lookalike.pid!)).toBe(true);
      expect(existsSync(join(env.storageDir, 'local/nodes', DIR, 'compute002'))).toBe(false);
    } finally {
      plain.kill('SIGKILL');
      lookalike.kill('SIGKILL');
    }
  });

  it('terminate + cleanup leave no process, mount, directory, cgroup, bridge or NAT table', async () => {
    const remaining = ['compute001', 'compute003'];
    const pids = await Promise.all(remaining.map((node) => pidOf(env, DIR, node)));
    await provider.terminateNodes(
      CLUSTER,
      remaining.map((node) => `lpa-0b1c2d3e-${node}`),
    );
    await provider.cleanup(CLUSTER);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await mountsUnder(env.storageDir)).toEqual([]);
    expect(existsSync(join(env.storageDir, 'local/nodes', DIR))).toBe(false);
    for (const node of nodes) {
      expect(existsSync(`/sys/fs/cgroup/unified/herd/${node.cloudName}`)).toBe(false);
      expect(existsSync(`/sys/fs/cgroup/systemd/herd/${node.cloudName}`)).toBe(false);
      expect(existsSync(`/run/systemd/nspawn/propagate/${node.cloudName}`)).toBe(false);
    }
    expect(interfaceExists(TEST_BRIDGE)).toBe(false);
    expect(nftTableExists('ip', natTable(TEST_BRIDGE))).toBe(false);
    expect(existsSync(`/run/herd/net/${TEST_BRIDGE}.json`)).toBe(false);
    expect((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim()).toBe(ipForwardBefore);
    expect((await provider.findNodes(CLUSTER)).length).toBe(0);
  });
});
