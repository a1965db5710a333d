/**
 * Runs an Ansible invocation with execa: output lines go to `onLine` as they come (the UI shows
 * them at -v), a failed run becomes an AnsibleError that names the failing hosts and tasks, and an
 * abort sends SIGINT to Ansible's process group and SIGKILL 5 s later if it has not exited.
 */
import { execa } from 'execa';
import { AbortError, AnsibleError, HostRequirementError } from '../errors.js';
import { ensureControlPathDir } from '../ssh/openssh.js';
import type { AnsibleInvocation } from './ansible.js';
import { type AnsibleOutputSummary, createAnsibleOutputParser, failedHostsOf } from './ansible-output.js';
import { clearAnsiblePid, recordAnsiblePid, stopOrphanedAnsible } from './ansible-pid.js';

/** Options of {@link runAnsible}. */
export interface RunAnsibleOptions extends AnsibleInvocation {
  /** Called with every line of output (stdout and stderr interleaved). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Cluster name, for the hint of a failure. */
  cluster?: string;
  /** Control socket directory to create first (must match the one in ANSIBLE_SSH_ARGS). */
  controlDir?: string;
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
  await ensureControlPathDir(options.controlDir);
  const parser = createAnsibleOutputParser();
  // Its own process group, so an abort reaches Ansible's workers and the module processes too
  // (SIGINT to the main process alone lets a running task finish first).
  const subprocess = execa(options.command, options.args, {
    env: options.env,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    detached: true,
  });
  const group = subprocess.pid;
  if (options.pidFile && group !== undefined) await recordAnsiblePid(options.pidFile, group);
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    signalGroup(group, 'SIGINT');
    killTimer = setTimeout(() => signalGroup(group, 'SIGKILL'), 5000);
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
    // Whatever of the group survived SIGINT (a module mid-task) goes now.
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
