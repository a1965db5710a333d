/**
 * Runs one command on many nodes over ssh2, at most `concurrency` at a time. Output is handed on in
 * chunks as it arrives; each node ends with a result (exit status, or why it did not run). A node's
 * timeout or an abort (Ctrl-C) ends the remote command and everything it started (see
 * remote-command.ts), waits briefly for its exit status, then drops the connection.
 */
import type ssh2 from 'ssh2';
import { eachLimited } from '../util/each-limited.js';
import { connectNode, type SshConnectionOptions, type SshNode } from './connect.js';
import { wrapRemoteCommand } from './remote-command.js';

/** How one node's run ended. */
export type ExecStatus =
  /** The command ran and exited (any exit code). */
  | 'exited'
  /** The per-node timeout ended it. */
  | 'timeout'
  /** Ctrl-C ended it, or it never started. */
  | 'cancelled'
  /** No session: unreachable, login refused, host key changed, no address. */
  | 'error';

/** One node's outcome. */
export interface ExecResult {
  node: string;
  status: ExecStatus;
  /** The remote exit code (128+N when a signal ended the command); null when none came back. */
  exitCode: number | null;
  /** Why the node failed to run the command (status `error`, or a broken connection). */
  error?: string;
  /** Stable code of that failure (`SshUnreachable`, `SshAuthFailed`, `HostKeyChanged`, ...). */
  errorCode?: string;
  durationMs: number;
}

/**
 * A node to run on; `unavailable` says why it cannot be reached at all, with its error code:
 * `NoAddress` (no IP) or `HostKeyUnknown` (no pinned host key).
 */
export type ExecTarget =
  | SshNode
  | { name: string; unavailable: string; code: 'NoAddress' | 'HostKeyUnknown' };

/** Options of {@link execOnNodes}. */
export interface ExecOptions extends SshConnectionOptions {
  targets: readonly ExecTarget[];
  command: string;
  /** Nodes in flight at once. */
  concurrency: number;
  /** Time one node may take, connection included; undefined = no limit. */
  timeoutMs?: number | undefined;
  /** How long a cancelled command may take to exit before the connection is dropped (default 5 s). */
  graceMs?: number;
  onOutput?: (node: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  onResult?: (result: ExecResult) => void;
}

/** Runs the command everywhere; resolves with one result per target, in target order. */
export async function execOnNodes(options: ExecOptions): Promise<ExecResult[]> {
  const results = new Map<string, ExecResult>();
  const record = (result: ExecResult) => {
    results.set(result.node, result);
    options.onResult?.(result);
  };
  await eachLimited(options.targets, options.concurrency, async (target) => {
    if ('unavailable' in target) {
      record({
        node: target.name,
        status: 'error',
        exitCode: null,
        error: target.unavailable,
        errorCode: target.code,
        durationMs: 0,
      });
      return;
    }
    if (options.signal?.aborted) {
      record({
        node: target.name,
        status: 'cancelled',
        exitCode: null,
        error: 'not started: interrupted',
        durationMs: 0,
      });
      return;
    }
    record(await runOne(target, options));
  });
  return options.targets.map((t) => results.get(t.name)!);
}

async function runOne(node: SshNode, options: ExecOptions): Promise<ExecResult> {
  const started = Date.now();
  const done = (rest: Omit<ExecResult, 'node' | 'durationMs'>): ExecResult => ({
    node: node.name,
    ...rest,
    durationMs: Date.now() - started,
  });
  // One controller for this node: the command's abort, its timeout, or both.
  const stop = new AbortController();
  let why: 'timeout' | 'cancelled' | undefined;
  const end = (reason: 'timeout' | 'cancelled') => {
    why ??= reason;
    stop.abort();
  };
  const onAbort = () => end('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => end('timeout'), options.timeoutMs);
  let client: ssh2.Client | undefined;
  try {
    try {
      client = await connectNode(node, {
        ...options,
        signal: stop.signal,
        connectTimeoutMs: Math.min(options.connectTimeoutMs, options.timeoutMs ?? Number.POSITIVE_INFINITY),
      });
    } catch (error) {
      if (why) return done({ status: why, exitCode: null, error: whyText(why, options) });
      const e = error as Error & { code?: string };
      return done({
        status: 'error',
        exitCode: null,
        error: e.message,
        errorCode: e.code ?? 'SshUnreachable',
      });
    }
    const outcome = await runCommand(client, node.name, options, stop.signal);
    if (why) return done({ status: why, exitCode: outcome.exitCode, error: whyText(why, options) });
    if (outcome.exitCode === null) {
      return done({
        status: 'error',
        exitCode: null,
        error: outcome.error ?? 'the connection closed without an exit status',
        errorCode: 'SshConnectionLost',
      });
    }
    return done({ status: 'exited', exitCode: outcome.exitCode });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    client?.end();
    client?.destroy();
  }
}

function whyText(why: 'timeout' | 'cancelled', options: ExecOptions): string {
  return why === 'timeout'
    ? `timed out after ${Math.round((options.timeoutMs ?? 0) / 100) / 10} s; the remote command was ended`
    : 'interrupted; the remote command was ended';
}

/** Runs the wrapped command on an open connection; `stop` ends it (EOF on stdin, then a hard close). */
function runCommand(
  client: ssh2.Client,
  node: string,
  options: ExecOptions,
  stop: AbortSignal,
): Promise<{ exitCode: number | null; error?: string }> {
  return new Promise((resolve) => {
    let exitCode: number | null = null;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      stop.removeEventListener('abort', onStop);
      resolve(error === undefined ? { exitCode } : { exitCode, error });
    };
    let channel: ssh2.ClientChannel | undefined;
    const onStop = () => {
      // EOF on the command's watcher: it ends the process group; its exit status still comes back.
      channel?.end();
      graceTimer = setTimeout(() => finish(), options.graceMs ?? 5000);
    };
    client.on('error', (err) => finish(err.message));
    client.on('close', () => finish());
    client.exec(wrapRemoteCommand(options.command), (err, stream) => {
      if (err) return finish(`could not start the command: ${err.message}`);
      channel = stream;
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
      stream.on('data', (chunk: Buffer) => options.onOutput?.(node, 'stdout', chunk));
      stream.stderr.on('data', (chunk: Buffer) => options.onOutput?.(node, 'stderr', chunk));
      stream.on('exit', (code: number | null, signal?: string) => {
        exitCode = typeof code === 'number' ? code : signal ? 128 + signalNumber(signal) : null;
      });
      stream.on('close', () => finish());
    });
  });
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, PIPE: 13, ALRM: 14, TERM: 15 };

function signalNumber(name: string): number {
  return SIGNALS[name.replace(/^SIG/, '')] ?? 0;
}
