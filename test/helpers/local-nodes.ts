/**
 * Shared fixtures for tests that boot real local nodes: a temp storage directory with an SSH key,
 * a cloud section on a test bridge, SSH helpers, and a teardown that stops nodes by their
 * recorded PID, unmounts, removes cgroups, leases and the bridge, also after a failed test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { CloudSection } from '../../src/config/types.js';
import { removeCgroup } from '../../src/providers/local/cgroup.js';
import { unmountTree } from '../../src/providers/local/mounts.js';
import { DEFAULT_RUN_DIR, releaseAddress, tearDownIfUnused } from '../../src/providers/local/network.js';
import { nodePaths, readNodeRecord, removeNodeDir, shutdownNode } from '../../src/providers/local/node.js';
import { parseSubnet } from '../../src/providers/local/subnet.js';
import { silentLogger } from '../../src/ui/log.js';

/** Bridge and subnet of the local provider's own tests (other suites may pass their own). */
export const TEST_BRIDGE = 'herdtst0';
export const TEST_SUBNET = '10.79.0.0/24';
/** Image cache shared by every test and CI run (the first build takes a minute or two). */
export const TEST_IMAGE_CACHE = '/var/cache/herd-test-images';

/** Whether this process may boot local nodes (root). */
export const canRunLocalNodes = process.getuid?.() === 0;

/** A `[cloud/NAME] provider=local` section on the test bridge. */
export function localTestCloud(
  settings: Partial<{ subnet: string; bridge: string; nat: boolean }> = {},
): CloudSection {
  return {
    name: 'localtest',
    provider: 'local',
    settings: { subnet: TEST_SUBNET, bridge: TEST_BRIDGE, nat: true, ...settings },
  };
}

/** A temp storage directory with an ed25519 key pair for the login user. */
export interface LocalTestEnv {
  storageDir: string;
  privateKey: string;
  publicKey: string;
  /** Stops every node of this storage dir (by recorded PID), unmounts, removes leases, bridge and the dir. */
  teardown(): Promise<void>;
}

/** Creates a test environment; points HERD_IMAGE_CACHE at the shared test cache unless already set. */
export async function createLocalTestEnv(
  options: { bridge?: string; subnet?: string } = {},
): Promise<LocalTestEnv> {
  process.env['HERD_IMAGE_CACHE'] ||= TEST_IMAGE_CACHE;
  const storageDir = await mkdtemp(join(tmpdir(), 'herd-local-'));
  const privateKey = join(storageDir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'herd-test', '-f', privateKey]);
  const publicKey = (await readFile(`${privateKey}.pub`, 'utf8')).trim();
  const bridge = options.bridge ?? TEST_BRIDGE;
  const subnet = options.subnet ?? TEST_SUBNET;
  return {
    storageDir,
    privateKey,
    publicKey,
    teardown: () => teardownLocalNodes(storageDir, { bridge, subnet }),
  };
}

/**
 * Removes every local node under `storageDir` without trusting the provider under test: nspawn
 * killed through the PID recorded in node.json (checked against /proc), the node's cgroup
 * emptied, its overlay unmounted; then its lease, the bridge when unused, and the directory.
 */
export async function teardownLocalNodes(
  storageDir: string,
  options: { bridge?: string; subnet?: string; runDir?: string } = {},
): Promise<void> {
  const net = {
    bridge: options.bridge ?? TEST_BRIDGE,
    subnet: parseSubnet(options.subnet ?? TEST_SUBNET),
    nat: true,
    runDir: options.runDir ?? DEFAULT_RUN_DIR,
    section: 'cloud/localtest',
  };
  const nodesDir = join(storageDir, 'local', 'nodes');
  for (const cluster of await readdir(nodesDir).catch(() => [] as string[])) {
    for (const node of await readdir(join(nodesDir, cluster)).catch(() => [] as string[])) {
      const paths = nodePaths(storageDir, cluster, node);
      const record = await readNodeRecord(paths);
      const machine = record?.machine ?? `${cluster}-${node}`;
      if (record) await shutdownNode(paths, record, 5_000);
      else {
        await unmountTree(paths.merged);
        await removeCgroup(machine);
      }
      await removeNodeDir(paths);
      await releaseAddress({ ...net, bridge: record?.bridge ?? net.bridge }, machine);
    }
  }
  await tearDownIfUnused(net, silentLogger);
  await rm(storageDir, { recursive: true, force: true });
}

/** Arguments for the system ssh client to a test node (host keys neither checked nor stored: tests only). */
export function testSshArgs(ip: string, privateKey: string, user = 'root'): string[] {
  return [
    '-i',
    privateKey,
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'LogLevel=ERROR',
    `${user}@${ip}`,
  ];
}

/** Runs a command on a test node over ssh and returns its stdout (throws on failure). */
export async function sshRun(
  ip: string,
  privateKey: string,
  command: string,
  user = 'root',
): Promise<string> {
  const result = await execa('ssh', [...testSshArgs(ip, privateKey, user), command], { stdin: 'ignore' });
  return String(result.stdout).trim();
}

/** Waits until `ip:port` accepts a TCP connection; resolves to the milliseconds it took. */
export async function waitForPort(ip: string, port: number, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: ip, port, timeout: 1_000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${ip}:${port} did not open within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until ssh runs a command on the node (sshd answers on port 22 before it may accept keys). */
export async function waitForSsh(
  ip: string,
  privateKey: string,
  user = 'root',
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sshRun(ip, privateKey, 'true', user);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

/** Whether a network interface exists on the host. */
export function interfaceExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** Whether an nft table exists. */
export function nftTableExists(family: string, table: string): boolean {
  try {
    execFileSync('nft', ['list', 'table', family, table], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Mount points at or under `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
}
