/**
 * Working on a running cluster: `exec`, `put` and `get` on a selection of its nodes. Nodes are
 * reached at the address that answered SSH first, with the cluster's key and the host key pinned for
 * each node; a node without either is reported as failed instead of being connected to unchecked.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SshError, UsageError } from '../errors.js';
import type { SshConnectionOptions } from '../ssh/connect.js';
import { type ExecResult, type ExecTarget, execOnNodes } from '../ssh/exec.js';
import { knownHostKeys, readKnownHosts, sameHostKey } from '../ssh/known-hosts.js';
import { scanLocalSources } from '../ssh/sftp-files.js';
import { getFromNodes, putOnNodes, type TransferResult } from '../ssh/transfer.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import { assertNotPaused } from './paused.js';
import { type NodeSelector, selectNodes } from './select.js';

/** Options every remote operation takes. */
export interface RemoteOptions {
  readonly state: ClusterState;
  readonly selector: NodeSelector;
  /** Nodes worked on at once. */
  readonly fanout: number;
  readonly signal?: AbortSignal | undefined;
  /** Called once the nodes are chosen, before any connection. */
  readonly onSelected?: ((nodes: readonly string[]) => void) | undefined;
}

/**
 * The SSH target for each node, or why it cannot be reached. The host key accepted is the one the
 * cluster's known_hosts pins for the node name, as for `herd ssh` (OpenSSH with HostKeyAlias and
 * StrictHostKeyChecking): a node it pins no key for is not connected to.
 */
export function sshTargetsFor(
  state: ClusterState,
  nodes: readonly NodeRecord[],
  knownHosts: string,
): ExecTarget[] {
  const restart = `run "herd start ${state.templateName} -n ${state.name}"`;
  return nodes.map((n) => {
    if (!n.preferredIp) {
      return {
        name: n.name,
        unavailable: `no reachable address (state: ${n.state}); ${restart} to bring it up`,
        code: 'NoAddress',
      };
    }
    const pinned = knownHostKeys(knownHosts, n.name);
    // Several keys pinned for one node (an edited file): the one herd saw at start, if listed.
    const hostKey =
      pinned.length === 1
        ? pinned[0]
        : pinned.find((k) => n.hostKey !== undefined && sameHostKey(k, n.hostKey));
    if (hostKey === undefined) {
      const why =
        pinned.length === 0
          ? `no host key is pinned for it in ${state.paths.knownHosts}`
          : `${state.paths.knownHosts} pins ${pinned.length} keys for it, none the one herd saw at start`;
      return {
        name: n.name,
        unavailable: `${why} (herd ssh would refuse it too); ${restart} to finish starting it`,
        code: 'HostKeyUnknown',
      };
    }
    return { name: n.name, host: n.preferredIp, hostKey };
  });
}

/** Chooses the nodes and reads the cluster key: what every connection needs. */
async function prepare(
  options: RemoteOptions,
): Promise<{ targets: ExecTarget[]; connection: SshConnectionOptions }> {
  assertNotPaused(options.state);
  const nodes = selectNodes(options.state, options.selector);
  options.onSelected?.(nodes.map((n) => n.name));
  return connectionTo(options.state, nodes, options.signal);
}

/** The targets and connection options for `nodes`, with the host keys the cluster pins. */
async function connectionTo(
  state: ClusterState,
  nodes: readonly NodeRecord[],
  signal: AbortSignal | undefined,
): Promise<{ targets: ExecTarget[]; connection: SshConnectionOptions }> {
  return {
    targets: sshTargetsFor(state, nodes, await readPinnedHosts(state)),
    connection: {
      user: state.template.login.imageUser,
      privateKey: await readKey(state),
      proxyCommand: state.template.cluster.sshProxyCommand,
      // A node that answered the probe answers again quickly; allow for a busy one.
      connectTimeoutMs: Math.max(state.template.cluster.sshProbeTimeout, 10) * 1000,
      signal,
    },
  };
}

/** One node's result of {@link execOnRecords}, with what the command printed on stdout. */
export interface CapturedResult extends ExecResult {
  readonly stdout: string;
}

/**
 * Runs a short command on `nodes` (herd's own bookkeeping, not a user's command): all at once up to
 * `fanout`, each within `timeoutMs`, stdout captured. A node that cannot be reached gets status `error`.
 */
export async function execOnRecords(
  state: ClusterState,
  nodes: readonly NodeRecord[],
  command: string,
  options: { fanout: number; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<CapturedResult[]> {
  const { targets, connection } = await connectionTo(state, nodes, options.signal);
  const stdout = new Map<string, string>();
  const results = await execOnNodes({
    ...connection,
    targets,
    command,
    concurrency: options.fanout,
    timeoutMs: options.timeoutMs,
    onOutput: (node, stream, chunk) => {
      if (stream === 'stdout') stdout.set(node, (stdout.get(node) ?? '') + chunk.toString('utf8'));
    },
  });
  return results.map((r) => ({ ...r, stdout: stdout.get(r.node) ?? '' }));
}

/** Reads a file of the cluster; a failure is an SshError with `code` that names the file. */
async function readClusterFile<T>(
  state: ClusterState,
  read: (path: string) => Promise<T>,
  file: { path: string; what: string; code: string; hint: string },
): Promise<T> {
  try {
    return await read(file.path);
  } catch (error) {
    throw new SshError(
      file.code,
      `Cannot read the ${file.what} of cluster "${state.name}", ${file.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      { hint: file.hint },
    );
  }
}

const readPinnedHosts = (state: ClusterState) =>
  readClusterFile(state, readKnownHosts, {
    path: state.paths.knownHosts,
    what: 'known_hosts',
    code: 'KnownHostsUnreadable',
    hint: 'Run herd as the user who started the cluster, or restore the file with `herd setup`.',
  });

const readKey = (state: ClusterState) =>
  readClusterFile(state, (path) => readFile(path), {
    path: state.paths.privateKey,
    what: 'key',
    code: 'SshKeyMissing',
    hint: 'Restore the key file (or point user_key_private at it in the login section), or run herd as the user who started the cluster.',
  });

/** `herd exec`: runs `command` on the selected nodes. */
export async function execOnCluster(
  options: RemoteOptions & {
    readonly command: string;
    readonly timeoutMs?: number | undefined;
    readonly onOutput?: (node: string, stream: 'stdout' | 'stderr', chunk: Buffer) => void;
    readonly onResult?: (result: ExecResult) => void;
  },
): Promise<ExecResult[]> {
  const { targets, connection } = await prepare(options);
  return execOnNodes({
    ...connection,
    targets,
    command: options.command,
    concurrency: options.fanout,
    timeoutMs: options.timeoutMs,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  });
}

/** Progress and result callbacks of put and get. */
interface TransferCallbacks {
  readonly onProgress?: (node: string, done: number, total: number) => void;
  readonly onResult?: (result: TransferResult) => void;
}

/** `herd put`: copies local files and trees to `remote` on the selected nodes. */
export async function putOnCluster(
  options: RemoteOptions &
    TransferCallbacks & { readonly locals: readonly string[]; readonly remote: string },
): Promise<TransferResult[]> {
  // Read the local side first: a typo in a local path fails before any connection.
  const sources = await scanLocalSources(options.locals);
  const { targets, connection } = await prepare(options);
  return putOnNodes({
    ...connection,
    ...callbacks(options),
    targets,
    concurrency: options.fanout,
    sources,
    remote: options.remote,
  });
}

/** `herd get`: copies `remote` from the selected nodes into `localDir/<node>/`. */
export async function getFromCluster(
  options: RemoteOptions & TransferCallbacks & { readonly remote: string; readonly localDir: string },
): Promise<TransferResult[]> {
  const { targets, connection } = await prepare(options);
  return getFromNodes({
    ...connection,
    ...callbacks(options),
    targets,
    concurrency: options.fanout,
    remote: options.remote,
    localDir: options.localDir,
  });
}

function callbacks(options: TransferCallbacks): TransferCallbacks {
  return {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  };
}

/**
 * Splits `herd put` words `[SELECTOR] LOCAL... REMOTE`: with three words or more, the first is a
 * selector unless a local file of that name exists (`-n SELECTOR` is never ambiguous).
 */
export function splitPutWords(
  words: readonly string[],
  exists: (path: string) => boolean = existsSync,
): { selector: string[]; locals: string[]; remote: string } {
  if (words.length < 2) {
    throw new UsageError('put needs at least one local path and a remote path.', {
      hint: 'Example: herd put mycluster ./job.sh /tmp/  (or: herd put mycluster -n compute[001-004] ./data /srv/)',
    });
  }
  const selector = words.length >= 3 && !exists(words[0]!) ? [words[0]!] : [];
  return { selector, locals: words.slice(selector.length, -1), remote: words.at(-1)! };
}

/** Splits `herd get` words `[SELECTOR] REMOTE LOCALDIR`. */
export function splitGetWords(words: readonly string[]): {
  selector: string[];
  remote: string;
  localDir: string;
} {
  if (words.length < 2 || words.length > 3) {
    throw new UsageError(`get takes [SELECTOR] REMOTE LOCALDIR, got ${words.length} word(s).`, {
      hint: 'Example: herd get mycluster /var/log/syslog ./logs  (files land in ./logs/<node>/)',
    });
  }
  return { selector: words.length === 3 ? [words[0]!] : [], remote: words.at(-2)!, localDir: words.at(-1)! };
}
