/**
 * systemd-nspawn command lines and the check that a PID really is a node's nspawn. Pure apart
 * from reading /proc.
 */
import { basename } from 'node:path';
import { isProcessAlive, readCmdline } from '../../util/proc.js';

/** What one node's nspawn needs. */
export interface NspawnSpec {
  /** The node's overlay mount. */
  rootDir: string;
  machine: string;
  bridge: string;
  /** Host device nodes bound into the container (default /dev/fuse, for sshfs). */
  devices?: readonly string[];
}

/** Arguments of `systemd-nspawn` for a booted node (no system bus on the host: --register=no --keep-unit). */
export function buildNspawnArgs(spec: NspawnSpec): string[] {
  return [
    '--boot',
    `--directory=${spec.rootDir}`,
    `--machine=${spec.machine}`,
    `--network-bridge=${spec.bridge}`,
    '--register=no',
    '--keep-unit',
    '--console=read-only',
    ...(spec.devices ?? ['/dev/fuse']).map((device) => `--bind=${device}`),
  ];
}

/** Quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * `sh -c` arguments that move the shell into the node's cgroup(s) and exec the command: the
 * process keeps its PID (the one herd records) and its start time.
 */
export function buildLauncherArgs(
  procsFiles: readonly string[],
  command: string,
  args: readonly string[],
): string[] {
  const join = procsFiles.map((file) => `echo $$ > ${shellQuote(file)}`).join(' && ');
  return ['-c', `${join ? `${join} && ` : ''}exec "$@"`, 'herd-node', command, ...args];
}

/** Whether a command line is the nspawn of `machine` (directly, or the launcher shell just before exec). */
export function isNspawnCmdline(argv: readonly string[], machine: string): boolean {
  const nspawn = argv.findIndex((arg) => basename(arg) === 'systemd-nspawn');
  if (nspawn < 0) return false;
  const rest = argv.slice(nspawn + 1);
  return rest.some(
    (arg, i) =>
      arg === `--machine=${machine}` || ((arg === '-M' || arg === '--machine') && rest[i + 1] === machine),
  );
}

/**
 * Whether `pid` is alive and is the nspawn of `machine`; with `startTime`, also that it is the
 * very process herd started (a recycled PID has another start time).
 */
export function isNodeProcess(pid: number | undefined, machine: string, startTime?: string): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return false;
  const argv = readCmdline(pid);
  if (!argv || !isNspawnCmdline(argv, machine)) return false;
  return isProcessAlive(pid, startTime);
}
