/**
 * Runs an Ansible invocation with execa: output lines go to `onLine` as they come (the UI shows
 * them at -v), a failed run becomes an AnsibleError that names the failing hosts and tasks, and an
 * abort sends SIGINT to Ansible's process group and SIGKILL 5 s later if it has not exited.
 * The run's private files exist only while it runs, and its SSH control masters are closed at
 * the end, whatever the outcome.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { extraVarsProblem, flagValue } from '../config/ansible-checks.js';
import { AbortError, AnsibleError, HostRequirementError, UsageError } from '../errors.js';
import { closeControlMasters, ensureRunDir } from '../ssh/run-dir.js';
import { isGroupRunning } from '../util/proc.js';
import type { AnsibleInvocation } from './ansible.js';
import { type AnsibleOutputSummary, createAnsibleOutputParser, failedHostsOf } from './ansible-output.js';
import { clearAnsiblePid, recordAnsiblePid, stopOrphanedAnsible } from './ansible-pid.js';
import { parseTaskList } from './ansible-progress.js';

/** Options of {@link runAnsible}. */
export interface RunAnsibleOptions extends Omit<AnsibleInvocation, 'files' | 'warnings'> {
  /** Private files to write first and remove after the run (in runDir). */
  files?: AnsibleInvocation['files'];
  /** Called with every line of output (stdout and stderr interleaved). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Cluster name, for the hint of a failure. */
  cluster?: string;
  /** The cluster's run directory (control sockets, the files of the invocation); checked first. */
  runDir?: string;
  /**
   * Where the PID of the run is kept while it runs; a run left there by a killed herd is stopped
   * first (see ansible-pid.ts).
   */
  pidFile?: string;
}

/** Runs ansible-playbook to completion; resolves on exit code 0. */
export async function runAnsible(options: RunAnsibleOptions): Promise<void> {
  if (options.signal?.aborted) throw new AbortError('Ansible was interrupted.');
  if (options.pidFile) await stopOrphanedAnsible(options.pidFile);
  const files = options.files ?? [];
  await refuseUnsafeVarsFiles(options.args, new Set(files.map((f) => f.path)));
  if (options.runDir !== undefined) await ensureRunDir(options.runDir);
  try {
    for (const file of files) await writeFile(file.path, file.text, { mode: 0o600, flag: 'w' });
    await runToEnd(options);
  } finally {
    await Promise.all(files.map((f) => rm(f.path, { force: true })));
    if (options.runDir !== undefined) await closeControlMasters(options.runDir);
  }
}

/** Extra vars the user keeps in files (`-e @FILE`) may not undo the pinning either (see ansible-checks.ts). */
async function refuseUnsafeVarsFiles(args: readonly string[], ours: ReadonlySet<string>): Promise<void> {
  for (let i = 0; i < args.length; i++) {
    const extra = flagValue(args, i, '--extra-vars', '-e');
    if (!extra?.value.startsWith('@') || ours.has(extra.value.slice(1))) continue;
    i = extra.next - 1;
    const path = extra.value.slice(1);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    const problem = text === undefined ? undefined : extraVarsProblem(text);
    if (problem) {
      throw new UsageError(`Refusing to run ansible-playbook: the extra vars file ${path} ${problem}.`);
    }
  }
}

async function runToEnd(options: RunAnsibleOptions): Promise<void> {
  const parser = createAnsibleOutputParser();
  // Its own process group, so an abort reaches Ansible's workers and the module processes too
  // (SIGINT to the main process alone lets a running task finish first).
  const subprocess = execa(options.command, options.args, {
    // Only what the invocation allowlisted: herd's environment may hold cloud credentials.
    env: options.env,
    extendEnv: false,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  const group = subprocess.pid;
  if (options.pidFile && group !== undefined) await recordAnsiblePid(options.pidFile, group);
  let killTimer: NodeJS.Timeout | undefined;
  let killAt = 0;
  const onAbort = () => {
    signalGroup(group, 'SIGINT');
    killAt = Date.now() + ABORT_GRACE_MS;
    killTimer = setTimeout(() => signalGroup(group, 'SIGKILL'), ABORT_GRACE_MS);
  };
  // A detached group outlives herd unless killed: take it down if herd exits first.
  const onExit = () => signalGroup(group, 'SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  process.once('exit', onExit);
  let result: Awaited<typeof subprocess>;
  try {
    try {
      for await (const line of subprocess.iterable({ from: 'all' })) {
        parser.push(line);
        options.onLine?.(line);
      }
    } catch {
      // A spawn failure ends the stream early; the result below says why.
    }
    result = await subprocess;
  } finally {
    clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', onAbort);
    process.removeListener('exit', onExit);
    if (options.pidFile) await clearAnsiblePid(options.pidFile);
  }
  if (options.signal?.aborted) {
    // The whole group got the SIGINT: module processes clean up on it (AnsiballZ removes its
    // /tmp/ansible_*_payload_* directory), which may take longer than ansible-playbook's own exit.
    // They get the rest of the grace period; whatever of the group is left then goes.
    await groupGone(group, killAt);
    signalGroup(group, 'SIGKILL');
    throw new AbortError('Ansible was interrupted.');
  }
  if (result.code === 'ENOENT') {
    const isDefault = options.command === 'ansible-playbook';
    throw new HostRequirementError(`${options.command} was not found on this machine.`, {
      hint: isDefault
        ? 'Install the Debian package ansible-core (apt-get install ansible-core).'
        : `Fix ansible_command in the setup section, or install the Debian package ansible-core and remove ansible_command.`,
      cause: result.cause,
    });
  }
  if (result.exitCode === 0) return;
  throw ansibleFailure(parser.summary(), result.exitCode, options.cluster);
}

/**
 * The number of tasks the run will list (`--list-tasks` with the same arguments), for the progress
 * bar; undefined when it cannot be had. Runs beside the real run, so it costs no wall time.
 */
export async function countTasks(
  invocation: Pick<AnsibleInvocation, 'command' | 'args' | 'env'>,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const result = await execa(invocation.command, [...invocation.args, '--list-tasks'], {
    env: invocation.env,
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (result.exitCode !== 0) return undefined;
  const { tasks } = parseTaskList(String(result.stdout));
  return tasks > 0 ? tasks : undefined;
}

/** How long the processes of an interrupted run get to end on SIGINT before they are killed. */
const ABORT_GRACE_MS = 5000;

/** Resolves once no process of the group runs any more, or at `deadline` (ms since the epoch). */
async function groupGone(pid: number | undefined, deadline: number): Promise<void> {
  if (pid === undefined) return;
  while (Date.now() < deadline && isGroupRunning(pid)) await sleep(20);
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Builds the AnsibleError for a failed run from what the output showed. */
export function ansibleFailure(
  summary: AnsibleOutputSummary,
  exitCode: number | undefined,
  cluster = 'NAME',
): AnsibleError {
  const hosts = failedHostsOf(summary);
  const hint = `Fix the cause and run \`herd setup ${cluster}\` again: the cluster and its state are kept. Add -v to see Ansible's output.`;
  if (hosts.length === 0) {
    const detail = summary.errors.length > 0 ? summary.errors.join('\n') : summary.tail.slice(-5).join('\n');
    const status = exitCode === undefined ? 'was killed' : `exited with code ${exitCode}`;
    return new AnsibleError(`ansible-playbook ${status}${detail ? `:\n${detail}` : '.'}`, [], { hint });
  }
  const lines = hosts.map((host) => {
    const failures = summary.failures.filter((f) => f.host === host);
    if (failures.length === 0) return `  - ${host}: failed (see the Ansible output with -v)`;
    const what = failures.map((f) => {
      const item = f.item === undefined ? '' : ` (item=${f.item})`;
      return f.unreachable
        ? `unreachable in task "${f.task}": ${f.message}`
        : `task "${f.task}"${item}: ${f.message}`;
    });
    return `  - ${host}: ${what.join('; ')}`;
  });
  const count = hosts.length === 1 ? '1 host' : `${hosts.length} hosts`;
  return new AnsibleError(
    `Ansible setup failed on ${count} (${hosts.join(', ')}):\n${lines.join('\n')}`,
    hosts,
    {
      hint,
    },
  );
}
