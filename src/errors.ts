/**
 * herd's error hierarchy. Every error that reaches the user is a HerdError with a stable
 * PascalCase `code`, the process exit code it maps to, and an optional hint that tells the
 * user what to do. Only the entry point (src/cli/main.ts) turns them into output and exit codes.
 */

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  /** The cluster is paused (or pausing/resuming): `herd resume NAME` first. */
  Paused: 3,
  Interrupted: 130,
} as const;

export interface HerdErrorOptions {
  /** What the user should do about it. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
  /** Overrides the class default exit code. */
  exitCode?: number;
}

/** Base class of every error herd reports to its user. */
export class HerdError extends Error {
  /** Stable, PascalCase identifier for scripts (`--json` output). */
  readonly code: string;
  /** Process exit code for this error. */
  readonly exitCode: number;
  /** Advice shown under the message. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: HerdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.Failure;
    this.hint = options.hint;
  }
}

/** One problem found in the configuration, with where it came from. */
export interface ConfigProblem {
  /** File the bad value came from, when known. */
  file?: string;
  /** 1-based line in that file, when known. */
  line?: number;
  /** Section name as written, e.g. `cluster/slurm`. */
  section?: string;
  /** Key within the section. */
  key?: string;
  /** What is wrong and how to fix it, in one or two sentences. */
  message: string;
}

/** Formats a problem as `file:line: [section] key: message`. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : '';
  const section = p.section ? `[${p.section}] ` : '';
  const key = p.key ? `${p.key}: ` : '';
  return `${where}${section}${key}${p.message}`;
}

/** The configuration (one or more problems at once). Exit code 2. */
export class ConfigError extends HerdError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[], options: HerdErrorOptions = {}) {
    const head =
      problems.length === 1
        ? `Invalid configuration: ${formatProblem(problems[0]!)}`
        : `Invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`;
    super('ConfigInvalid', head, { exitCode: ExitCode.Usage, ...options });
    this.problems = problems;
  }
}

/** Bad command-line usage: a malformed flag value, a missing argument. Exit code 2. */
export class UsageError extends HerdError {
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('UsageError', message, { exitCode: ExitCode.Usage, ...options });
  }
}

/** A cloud (or the local node runtime) refused or failed an operation. */
export class ProviderError extends HerdError {
  constructor(code: string, message: string, options: HerdErrorOptions = {}) {
    super(code, message, options);
  }
}

/** SSH could not reach a node, or a host key did not match the pinned one. */
export class SshError extends HerdError {
  constructor(code: string, message: string, options: HerdErrorOptions = {}) {
    super(code, message, options);
  }
}

/** ansible-playbook failed; `failedHosts` names the hosts with failed or unreachable tasks. */
export class AnsibleError extends HerdError {
  readonly failedHosts: readonly string[];
  constructor(message: string, failedHosts: readonly string[], options: HerdErrorOptions = {}) {
    super('AnsibleFailed', message, options);
    this.failedHosts = failedHosts;
  }
}

/** The state repository: missing cluster, corrupt file, lock held. */
export class StateError extends HerdError {
  constructor(code: string, message: string, options: HerdErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Another herd process holds the cluster's lock. */
export class StateLockError extends StateError {
  readonly holderPid: number;
  constructor(cluster: string, holderPid: number, options: HerdErrorOptions = {}) {
    super('StateLocked', `Cluster "${cluster}" is locked by another herd process (PID ${holderPid}).`, {
      hint: `Wait for PID ${holderPid} to finish, or stop it (kill ${holderPid}) and run the command again.`,
      ...options,
    });
    this.holderPid = holderPid;
  }
}

/** The user interrupted (Ctrl-C). Exit code 130. */
export class AbortError extends HerdError {
  constructor(message = 'Interrupted.', options: HerdErrorOptions = {}) {
    super('Interrupted', message, { exitCode: ExitCode.Interrupted, ...options });
  }
}

/** A required host tool or privilege is missing. */
export class HostRequirementError extends HerdError {
  constructor(message: string, options: HerdErrorOptions = {}) {
    super('HostRequirementMissing', message, options);
  }
}
