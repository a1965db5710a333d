/**
 * ansible-playbook runs in a process group of its own (so that Ctrl-C reaches its workers), which
 * goes on configuring nodes when herd itself is killed. While it runs, its PID and start time are in
 * `<storage>/<cluster>.ansible.pid`; the next herd command on the cluster (setup, start, resize,
 * stop) stops such an orphan first. The start time tells it from a process that reuses the PID.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isProcessAlive, readStartTime } from '../util/proc.js';

/** Records the running ansible-playbook's PID (mode 0600). */
export async function recordAnsiblePid(file: string, pid: number): Promise<void> {
  await writeFile(file, `${pid} ${readStartTime(pid) ?? ''}\n`, { mode: 0o600 });
}

/** Forgets the PID of a run that ended. */
export async function clearAnsiblePid(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * SIGKILLs the process group of the ansible-playbook recorded in `file`, if that very process still
 * runs, waits until it is gone and removes the file. Returns whether there was one to stop.
 */
export async function stopOrphanedAnsible(file: string, timeoutMs = 10_000): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return false;
  }
  const [pidText, startTime] = text.trim().split(' ');
  const pid = Number(pidText);
  const alive = Number.isInteger(pid) && pid > 1 && startTime && isProcessAlive(pid, startTime);
  if (alive) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    const deadline = Date.now() + timeoutMs;
    while (isProcessAlive(pid, startTime) && Date.now() < deadline) await sleep(50);
  }
  await clearAnsiblePid(file);
  return Boolean(alive);
}
