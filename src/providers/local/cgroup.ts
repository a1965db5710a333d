/**
 * Each node runs in its own cgroup `herd/<machine>`: with `--keep-unit` and no system bus,
 * nspawn would otherwise put every container's payload in the same (root) cgroup. The cgroup is
 * also how a node whose nspawn process was SIGKILLed is cleaned up (its init outlives nspawn).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = '/sys/fs/cgroup';

/** The cgroup directories of a group under `herd/`: systemd + unified on hybrid hosts, one on cgroup v2. */
export function cgroupDirs(group: string, root = ROOT): string[] {
  if (existsSync(join(root, 'cgroup.controllers'))) return [join(root, 'herd', group)];
  return ['systemd', 'unified']
    .filter((h) => existsSync(join(root, h)))
    .map((h) => join(root, h, 'herd', group));
}

/** Creates the group's directories; returns the `cgroup.procs` files a launcher writes its PID to. */
export async function createCgroup(group: string): Promise<string[]> {
  const dirs = cgroupDirs(group);
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  return dirs.map((dir) => join(dir, 'cgroup.procs'));
}

/** PIDs of every process in the group and its children. */
export async function cgroupPids(group: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(group)) {
    for (const sub of await subtree(dir)) {
      const text = await readFile(join(sub, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const line of text.split('\n')) if (line.trim()) pids.add(Number(line));
    }
  }
  return [...pids];
}

/** SIGKILLs every process in the group (cgroup.kill where the kernel has it) and waits until it is empty. */
export async function killCgroup(group: string, timeoutMs = 10_000): Promise<void> {
  for (const dir of cgroupDirs(group)) {
    if (existsSync(join(dir, 'cgroup.kill')))
      await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => undefined);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = await cgroupPids(group);
    if (pids.length === 0 || Date.now() > deadline) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(100);
  }
}

/** Removes the group's (empty) directories, deepest first; `herd/` itself too once it is empty. */
export async function removeCgroup(group: string): Promise<void> {
  for (const dir of cgroupDirs(group)) {
    for (const sub of (await subtree(dir)).reverse()) await rmdir(sub).catch(() => undefined);
    await rmdir(join(dir, '..')).catch(() => undefined);
  }
}

async function subtree(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const result = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) result.push(...(await subtree(join(dir, entry.name))));
  }
  return result;
}
