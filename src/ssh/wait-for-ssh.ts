/**
 * Probing many nodes: once each with bounded concurrency, or repeatedly until every node answers
 * or the start deadline passes. Each node backs off (0.5 s doubling to 2 s) between attempts, so a
 * hundred booting nodes cost a few probes per second, not a busy loop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError, SshError } from '../errors.js';
import { type ProbeConnection, type ProbeFailureCode, type ProbeResult, probeNode } from './probe.js';

/** One node to probe. */
export interface ProbeTarget {
  /** Node name, for results and progress. */
  name: string;
  /** Every IP of the node, preferred first. */
  ips: readonly string[];
  /** Pinned host key, when the node was reached before. */
  pinnedHostKey?: string | undefined;
}

/** Options of {@link probeNodes}. */
export interface ProbeNodesOptions extends ProbeConnection {
  /** Probes in flight at once (default 16). */
  concurrency?: number;
}

/** Probes each node once, at most `concurrency` at a time; results in input order. */
export async function probeNodes(
  nodes: readonly ProbeTarget[],
  options: ProbeNodesOptions,
): Promise<ProbeResult[]> {
  const limit = createLimiter(options.concurrency ?? 16);
  return Promise.all(
    nodes.map((node) =>
      limit(() => probeNode({ ...options, ips: node.ips, pinnedHostKey: node.pinnedHostKey })),
    ),
  );
}

/** Per-node outcome of {@link waitForSsh}. */
export type SshWaitResult =
  | { name: string; status: 'ready'; ip: string; hostKey: string; attempts: number }
  | { name: string; status: 'failed'; reason: string; code: ProbeFailureCode; attempts: number };

/** One finished probe attempt, for progress display. */
export interface SshProbeEvent {
  node: string;
  attempt: number;
  result: ProbeResult;
}

/** Options of {@link waitForSsh}. */
export interface WaitForSshOptions extends Omit<ProbeConnection, 'timeoutMs'> {
  nodes: readonly ProbeTarget[];
  /** Epoch milliseconds after which no new attempt starts (`start_timeout`). */
  deadline: number;
  /** Time one attempt may take (`ssh_probe_timeout`). */
  probeTimeoutMs: number;
  /** Probes in flight at once across all nodes (default 16). */
  concurrency?: number;
  /** Called after every attempt. */
  onProgress?: (event: SshProbeEvent) => void;
  /** Backoff bounds in ms (default 500 -> 2000); tests shorten them. */
  backoffMs?: { initial: number; max: number };
  /**
   * Why a node will never answer (its container or instance died), or undefined while it may: asked
   * before every attempt, so a dead node fails at once instead of at the deadline.
   */
  nodeGone?: (name: string) => string | undefined;
}

// A changed host key or an unusable private key will not fix itself by waiting.
const FINAL_CODES: ReadonlySet<ProbeFailureCode> = new Set(['HostKeyChanged', 'KeyInvalid']);

/**
 * Polls every node until it answers SSH or the deadline passes. Returns one result per node in
 * input order; throws AbortError when `signal` aborts.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<SshWaitResult[]> {
  const limit = createLimiter(options.concurrency ?? 16);
  const { initial, max } = options.backoffMs ?? { initial: 500, max: 2000 };
  const waitOne = async (node: ProbeTarget): Promise<SshWaitResult> => {
    let delay = initial;
    let last: Extract<ProbeResult, { ok: false }> | undefined;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(options.signal);
      const gone = options.nodeGone?.(node.name);
      if (gone !== undefined)
        return { name: node.name, status: 'failed', reason: gone, code: 'NodeGone', attempts: attempt - 1 };
      const remaining = options.deadline - Date.now();
      if (remaining <= 0) {
        const reason = last
          ? `no SSH before the start timeout; last error: ${last.reason}`
          : 'the start timeout passed before the node could be probed';
        return {
          name: node.name,
          status: 'failed',
          reason,
          code: last?.code ?? 'Timeout',
          attempts: attempt - 1,
        };
      }
      const result = await limit(() =>
        probeNode({
          ...options,
          ips: node.ips,
          pinnedHostKey: node.pinnedHostKey,
          timeoutMs: Math.min(options.probeTimeoutMs, remaining),
        }),
      );
      throwIfAborted(options.signal);
      options.onProgress?.({ node: node.name, attempt, result });
      if (result.ok)
        return {
          name: node.name,
          status: 'ready',
          ip: result.ip,
          hostKey: result.hostKey,
          attempts: attempt,
        };
      last = result;
      if (FINAL_CODES.has(result.code)) {
        return {
          name: node.name,
          status: 'failed',
          reason: result.reason,
          code: result.code,
          attempts: attempt,
        };
      }
      await pause(Math.min(delay, Math.max(0, options.deadline - Date.now())), options.signal);
      delay = Math.min(delay * 2, max);
    }
  };
  return Promise.all(options.nodes.map(waitOne));
}

/**
 * The SshError for a node that did not answer: code `HostKeyChanged` for a refused key (never
 * retried), `SshAuthFailed` for a refused login, `SshUnreachable` otherwise.
 */
export function sshFailureError(
  cluster: string,
  node: string,
  failure: { reason: string; code: ProbeFailureCode },
): SshError {
  if (failure.code === 'HostKeyChanged') {
    return new SshError(
      'HostKeyChanged',
      `Node ${node} of cluster ${cluster}: ${failure.reason}; refusing to connect.`,
      {
        hint: `The node no longer presents the SSH host key herd pinned when it first answered. If it was rebuilt on purpose, remove it with \`herd remove-node ${cluster} ${node}\` and add it again; otherwise treat it as a possible impostor.`,
      },
    );
  }
  if (failure.code === 'AuthFailed') {
    return new SshError(
      'SshAuthFailed',
      `Node ${node} of cluster ${cluster} refused the login: ${failure.reason}.`,
      {
        hint: 'Check image_user in the login section and that the image authorizes the cluster key for that user.',
      },
    );
  }
  return new SshError(
    'SshUnreachable',
    `Node ${node} of cluster ${cluster} did not answer SSH: ${failure.reason}.`,
    {
      hint: 'Check that the node booted and that sshd runs on it; raise start_timeout or ssh_probe_timeout for slow images.',
    },
  );
}

async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch {
    throw new AbortError();
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/** A counting semaphore: runs at most `size` tasks at once, in submission order. */
function createLimiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiter, so a newcomer cannot slip in between.
    if (running >= size) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
