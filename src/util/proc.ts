/**
 * What /proc says about a PID. Node processes are only ever found through the PID herd recorded,
 * checked against /proc so that a recycled PID is never mistaken for a node (or killed).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The argv of a live process, or undefined when there is no such process. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined; // zombie or kernel thread
    return raw.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/PID/stat after the command name (field 3, the state, comes first), or undefined
 * when the process is gone. The command name may contain spaces and parentheses: it ends at the last ')'.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process's state letter (R, S, D, Z for a zombie, ...) and kernel start time, if it exists. */
export function readProcessStat(pid: number): { state: string; startTime: string } | undefined {
  const fields = statFields(pid);
  // Field 22 of the whole line is the start time (clock ticks since boot).
  return fields && { state: fields[0]!, startTime: fields[19]! };
}

/** The kernel's start time of a process (clock ticks since boot), or undefined when it is gone. */
export function readStartTime(pid: number): string | undefined {
  return readProcessStat(pid)?.startTime;
}

/** Whether a process with this PID and (when given) this start time exists. */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  const actual = readStartTime(pid);
  if (actual === undefined) return false;
  return startTime === undefined || actual === startTime;
}

/**
 * Whether a process of group `pgid` still runs. An exited one stays a zombie, and counts for kill(),
 * until its parent reaps it; one whose parent ended waits for init to do that, which some container
 * inits do only every second or so. Zombies are not counted: they hold nothing any more.
 */
export function isGroupRunning(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    const fields = statFields(Number(pid));
    // Fields 3 and 5 of the whole line: the state and the process group.
    return fields !== undefined && fields[2] === String(pgid) && fields[0] !== 'Z' && fields[0] !== 'X';
  });
}
