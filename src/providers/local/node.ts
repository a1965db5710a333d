/**
 * One local node on disk and as a process: `<storageDir>/local/nodes/<cluster>-<id>/<node>/` holds
 * `upper/`, `work/`, `merged/` (the overlay), `node.json` (what herd knows, including the nspawn
 * PID and its start time) and `console.log`. The node process is only ever found through that
 * recorded PID, checked against /proc. Its machine name (also its cgroup and lease holder) is
 * `<cluster>-<id>-<node>`, so clusters of one name in two storage dirs never meet on one host; a
 * `node.json` naming any other machine is refused before herd acts on it (checkNodeRecord).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../errors.js';
import { cloudNameFor } from '../../state/names.js';
import { readCmdline, readProcessStat, readStartTime } from '../../util/proc.js';
import type { ClusterRef } from '../types.js';
import { cgroupPids, createCgroup, killCgroup, removeCgroup } from './cgroup.js';
import { tail } from './exec.js';
import { mountOverlay, unmountTree } from './mounts.js';
import { buildLauncherArgs, buildNspawnArgs, isNodeProcess } from './nspawn.js';

/** What `node.json` holds. */
export interface NodeRecordFile {
  /** 2 since records say whether the node's creation finished (`complete`); 1 before. */
  version: 1 | 2;
  machine: string;
  cluster: string;
  /** The cluster id (absent for clusters from before ids). */
  clusterId?: string;
  node: string;
  kind: string;
  image: string;
  /** The image's unpacked rootfs (overlay lower dir). */
  lowerDir: string;
  bridge: string;
  ip: string;
  /** nspawn's PID and start time while it runs. */
  pid?: number;
  pidStartTime?: string;
  /**
   * Version 2: false from the node directory's creation until its first-boot files (identity, login
   * key) are written. A node left incomplete by a crash must not be booted as it is.
   */
  complete?: boolean;
}

/** Whether the node's creation was cut short before its first-boot files were written. */
export function isIncomplete(record: NodeRecordFile): boolean {
  return record.version === 2 && record.complete !== true;
}

/** Directories and files of one node. */
export interface NodePaths {
  dir: string;
  upper: string;
  work: string;
  merged: string;
  record: string;
  console: string;
}

/** The directory name of a cluster's nodes: `<cluster>-<id>` (the name alone for a cluster from before ids). */
export function clusterDirName(cluster: ClusterRef): string {
  return cluster.id === undefined ? cluster.name : `${cluster.name}-${cluster.id}`;
}

/** The machine name (nspawn, cgroup, lease) of a node: its cloud name, `<cluster>-<id>-<node>`. */
export function machineNameFor(cluster: ClusterRef, node: string): string {
  return cloudNameFor(cluster.name, node, cluster.id);
}

/** Where a cluster's nodes live (`dirName` from clusterDirName). */
export function clusterDir(storageDir: string, dirName: string): string {
  return join(storageDir, 'local', 'nodes', dirName);
}

/** Paths of one node (`dirName` from clusterDirName). */
export function nodePaths(storageDir: string, dirName: string, node: string): NodePaths {
  const dir = join(clusterDir(storageDir, dirName), node);
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    merged: join(dir, 'merged'),
    record: join(dir, 'node.json'),
    console: join(dir, 'console.log'),
  };
}

/** Reads `node.json` (undefined when the node does not exist). */
export async function readNodeRecord(paths: NodePaths): Promise<NodeRecordFile | undefined> {
  try {
    return JSON.parse(await readFile(paths.record, 'utf8')) as NodeRecordFile;
  } catch {
    return undefined;
  }
}

const BRIDGE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;

/**
 * Checks a `node.json` read from disk against what herd derives for this node before anything acts
 * on it: its machine name decides which cgroup is emptied with SIGKILL and which lease is released,
 * its bridge which lease file is written. Throws ProviderError `LocalNodeRecordInvalid` naming the
 * file, the wrong value and the expected one.
 */
export function checkNodeRecord(
  record: NodeRecordFile,
  paths: NodePaths,
  expected: { cluster: ClusterRef; node: string },
): NodeRecordFile {
  const machine = machineNameFor(expected.cluster, expected.node);
  const problems: string[] = [];
  if (record.machine !== machine) {
    problems.push(`machine is ${JSON.stringify(record.machine)}, herd expects "${machine}"`);
  }
  if (record.node !== expected.node) {
    problems.push(`node is ${JSON.stringify(record.node)}, herd expects "${expected.node}"`);
  }
  if (record.cluster !== expected.cluster.name || record.clusterId !== expected.cluster.id) {
    problems.push(
      `cluster is ${JSON.stringify(record.cluster)}${record.clusterId ? ` (id ${JSON.stringify(record.clusterId)})` : ''}, herd expects "${expected.cluster.name}"${expected.cluster.id ? ` (id ${expected.cluster.id})` : ''}`,
    );
  }
  if (typeof record.bridge !== 'string' || !BRIDGE_NAME.test(record.bridge)) {
    problems.push(`bridge ${JSON.stringify(record.bridge)} is not an interface name`);
  }
  if (problems.length === 0) return record;
  throw new ProviderError(
    'LocalNodeRecordInvalid',
    `${paths.record} does not describe node ${expected.node} of cluster "${expected.cluster.name}": ${problems.join('; ')}. herd leaves this node alone.`,
    {
      hint: `If the file was edited, restore it; otherwise stop the node's processes and unmount ${paths.merged} by hand, then remove ${paths.dir}.`,
    },
  );
}

/** Writes `node.json` atomically. */
export async function writeNodeRecord(paths: NodePaths, record: NodeRecordFile): Promise<void> {
  await writeFile(`${paths.record}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(`${paths.record}.tmp`, paths.record);
}

/** Node names (directories) of a cluster (`dirName` from clusterDirName). */
export async function listNodeNames(storageDir: string, dirName: string): Promise<string[]> {
  const entries = await readdir(clusterDir(storageDir, dirName), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Whether the recorded nspawn process of this node is alive (and really is it). */
export function isNodeRunning(record: NodeRecordFile): boolean {
  return isNodeProcess(record.pid, record.machine, record.pidStartTime);
}

/** Creates the node's directories and mounts its overlay. */
export async function mountNode(paths: NodePaths, lowerDir: string): Promise<void> {
  for (const dir of [paths.upper, paths.work, paths.merged])
    await mkdir(dir, { recursive: true, mode: 0o755 });
  await mountOverlay({ lower: lowerDir, upper: paths.upper, work: paths.work, target: paths.merged });
}

/**
 * Starts the node's systemd-nspawn detached (it outlives herd) in its own cgroup, records its
 * PID, and waits until systemd inside runs. Throws with the console's last lines if nspawn exits.
 */
export async function launchNode(
  paths: NodePaths,
  record: NodeRecordFile,
  bootTimeoutMs = 30_000,
): Promise<NodeRecordFile> {
  if ((await cgroupPids(record.machine)).length > 0) {
    throw new ProviderError(
      'LocalMachineNameInUse',
      `Processes of another "${record.machine}" node are still running on this host.`,
      {
        hint: 'Stop the other cluster of that name first (herd stop NAME), or use another cluster name (a cluster created before cluster ids has machine names without an id).',
      },
    );
  }
  const procs = await createCgroup(record.machine);
  const args = buildNspawnArgs({ rootDir: paths.merged, machine: record.machine, bridge: record.bridge });
  const out = openSync(paths.console, 'a');
  let pid: number | undefined;
  try {
    const child = spawn('/bin/sh', buildLauncherArgs(procs, 'systemd-nspawn', args), {
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.on('error', () => undefined); // reported through the exit check below
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  if (pid === undefined)
    throw new ProviderError('LocalNodeStartFailed', `Could not start systemd-nspawn for ${record.machine}.`);
  const running: NodeRecordFile = { ...record, pid };
  const startTime = readStartTime(pid);
  if (startTime !== undefined) running.pidStartTime = startTime;
  await writeNodeRecord(paths, running);
  await writeFile(join(paths.dir, 'nspawn.pid'), `${pid}\n`);
  await waitForBoot(paths, running, bootTimeoutMs);
  return running;
}

/**
 * Whether the node's process is alive but between two programs: the launcher shell execs nspawn, and
 * while the kernel swaps the program /proc shows an empty command line (a window that grows on a
 * loaded host). That is not "exited": only a process that is gone, a zombie, or another program is.
 */
export function launcherPending(record: Pick<NodeRecordFile, 'pid' | 'pidStartTime'>): boolean {
  if (record.pid === undefined) return false;
  const stat = readProcessStat(record.pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  if (record.pidStartTime !== undefined && stat.startTime !== record.pidStartTime) return false;
  return readCmdline(record.pid) === undefined;
}

/**
 * Why a launched node is not running: its nspawn exited while herd still records it (a clean stop
 * forgets the PID), with the console's last lines. Undefined while it runs, is being exec'd, or was
 * stopped on purpose.
 */
export async function deathReason(paths: NodePaths, record: NodeRecordFile): Promise<string | undefined> {
  if (record.pid === undefined || isNodeRunning(record) || launcherPending(record)) return undefined;
  const last = consoleText(await readTail(paths.console, 4096), 6);
  return `its container (systemd-nspawn PID ${record.pid}) exited; console: ${last || '(no output)'}`;
}

/** The last `lines` non-empty lines of console output, without terminal colour codes, on one line. */
export function consoleText(output: string, lines: number): string {
  const clean = output
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  return clean.slice(-lines).join(' | ');
}

/** The last `bytes` of a file ('' when it cannot be read). */
async function readTail(path: string, bytes: number): Promise<string> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return '';
  try {
    const { size } = await file.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await file.close();
  }
}

/** Waits until the console shows systemd running, or fails when nspawn has exited. */
async function waitForBoot(paths: NodePaths, record: NodeRecordFile, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const console = await readFile(paths.console, 'utf8').catch(() => '');
    if (/running in system mode/.test(console)) return;
    if (!isNodeRunning(record) && !launcherPending(record)) {
      // nspawn may have written its last words after the read above.
      const last = await readFile(paths.console, 'utf8').catch(() => console);
      throw new ProviderError(
        'LocalNodeStartFailed',
        `systemd-nspawn for ${record.machine} exited during boot:\n${tail(last.trim(), 15) || '(no output)'}`,
        {
          hint: `Full console output: ${paths.console}`,
        },
      );
    }
    await sleep(100);
  }
  // Still running but slow to print: not a failure, the SSH probe decides.
}

/**
 * Powers the node off (SIGTERM to its verified nspawn = clean shutdown), SIGKILLs it and whatever
 * is left in its cgroup after `timeoutMs`, then unmounts the overlay and removes the cgroup.
 */
export async function shutdownNode(
  paths: NodePaths,
  record: NodeRecordFile,
  timeoutMs = 15_000,
): Promise<void> {
  if (isNodeRunning(record)) {
    process.kill(record.pid!, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isNodeRunning(record) && Date.now() < deadline) await sleep(100);
    if (isNodeRunning(record)) process.kill(record.pid!, 'SIGKILL');
  }
  // The container's init may outlive a killed nspawn: empty the node's own cgroup.
  await killCgroup(record.machine);
  await removeCgroup(record.machine);
  await unmountTree(paths.merged);
  await rm(`/run/systemd/nspawn/propagate/${record.machine}`, { recursive: true, force: true });
  const { pid: _pid, pidStartTime: _start, ...stopped } = record;
  await writeNodeRecord(paths, stopped).catch(() => undefined);
}

/** Removes a (shut down) node's directory. */
export async function removeNodeDir(paths: NodePaths): Promise<void> {
  await unmountTree(paths.dir); // never recurse into a still-mounted overlay
  await rm(paths.dir, { recursive: true, force: true });
}
