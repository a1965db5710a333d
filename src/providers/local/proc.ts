/**
 * What /proc says about a PID. Node processes are only ever found through the PID herd recorded,
 * checked against /proc so that a recycled PID is never mistaken for a node (or killed).
 */
import { readFileSync } from 'node:fs';

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

/** The state letter of a process (R, S, D, Z for a zombie, ...), or undefined when it is gone. */
export function readProcessState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** The kernel's start time of a process (clock ticks since boot), or undefined when it is gone. */
export function readStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 of the whole line
  } catch {
    return undefined;
  }
}

/** Whether a process with this PID and (when given) this start time exists. */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  const actual = readStartTime(pid);
  if (actual === undefined) return false;
  return startTime === undefined || actual === startTime;
}
