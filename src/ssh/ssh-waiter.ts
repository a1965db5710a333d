/**
 * The SSH waiter orchestration uses (`ClusterDeps.waitForSsh`): its request and outcome types, and the
 * real one, which reads the cluster's private key and probes with `waitForSsh`.
 */
import { readFile } from 'node:fs/promises';
import { StateError } from '../errors.js';
import type { Logger } from '../log.js';
import { waitForSsh } from './wait-for-ssh.js';

/** A node to wait for until it answers SSH. */
export interface SshTarget {
  name: string;
  ips: readonly string[];
  /** Refuse a host key other than this one (`<type> <base64>`). */
  pinnedHostKey?: string | undefined;
}

/** Outcome of waiting for one node. */
export type SshOutcome = { ok: true; ip: string; hostKey: string } | { ok: false; reason: string };

/** Waits until every node answers SSH or the deadline (epoch ms) passes. */
export type SshWaiter = (request: {
  nodes: readonly SshTarget[];
  user: string;
  privateKeyPath: string;
  deadline: number;
  probeTimeoutMs: number;
  /** `ssh_proxy_command`, unexpanded: probes go through it as later ssh and Ansible connections do. */
  proxyCommand?: string | undefined;
  signal?: AbortSignal | undefined;
  onReady?: ((name: string, ip: string) => void) | undefined;
  /** Why a node will never answer (it died), or undefined while it may; asked before every attempt. */
  nodeGone?: ((name: string) => string | undefined) | undefined;
}) => Promise<Map<string, SshOutcome>>;

/** The real SSH waiter; failed attempts are logged at `-vv`. */
export function createSshWaiter(log: Logger): SshWaiter {
  return async (request) => {
    const privateKey = await readClusterKey(request.privateKeyPath);
    const results = await waitForSsh({
      nodes: request.nodes,
      user: request.user,
      privateKey,
      deadline: request.deadline,
      probeTimeoutMs: request.probeTimeoutMs,
      proxyCommand: request.proxyCommand,
      signal: request.signal,
      ...(request.nodeGone ? { nodeGone: request.nodeGone } : {}),
      onProgress: (event) => {
        if (event.result.ok) request.onReady?.(event.node, event.result.ip);
        else log.debug(`${event.node}: SSH attempt ${event.attempt}: ${event.result.reason}`, 2);
      },
    });
    return new Map(
      results.map((r) => [
        r.name,
        r.status === 'ready'
          ? { ok: true as const, ip: r.ip, hostKey: r.hostKey }
          : { ok: false as const, reason: r.reason },
      ]),
    );
  };
}

/** The private key herd logs in with; a missing or unreadable one is named with the way out. */
async function readClusterKey(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === 'ENOENT' ? 'is missing' : `cannot be read (${(error as Error).message})`;
    throw new StateError(
      'ClusterKeyMissing',
      `The private key herd logs in to the nodes with, ${path}, ${why}.`,
      {
        hint:
          'Put the key back (an archive of herd export holds it), or, if the login section names your own key, ' +
          'check user_key_private. Without it herd cannot reach the nodes; herd stop still terminates them.',
        cause: error,
      },
    );
  }
}
