/**
 * `herd put` and `herd get` over SFTP (ssh2), many nodes at once. put copies local files and trees
 * to one remote path on each node, as scp does: into REMOTE when it is a directory, else as REMOTE.
 * get copies one remote path from each node into LOCALDIR/<node>/. Modes are kept; links inside a
 * tree are copied as links.
 */
import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type ssh2 from 'ssh2';
import type { SFTPWrapper, Stats } from 'ssh2';
import { eachLimited } from '../util/each-limited.js';
import { connectNode, type SshConnectionOptions } from './connect.js';
import type { ExecTarget } from './exec.js';
import { remotePath, scanRemoteTree, sftpCall, type Tree } from './sftp-files.js';

/** One node's outcome. */
export interface TransferResult {
  node: string;
  status: 'done' | 'error' | 'cancelled';
  files: number;
  bytes: number;
  /** Where the files went (get: the local directory; put: the remote path). */
  destination?: string;
  error?: string;
  errorCode?: string;
  durationMs: number;
}

/** Options shared by put and get. */
export interface TransferOptions extends SshConnectionOptions {
  targets: readonly ExecTarget[];
  concurrency: number;
  /** Bytes done so far on a node, and the node's total once known. */
  onProgress?: (node: string, done: number, total: number) => void;
  onResult?: (result: TransferResult) => void;
}

/** Copies `sources` (scanned with scanLocalSources) to `remote` on every target. */
export function putOnNodes(options: TransferOptions & { sources: readonly Tree[]; remote: string }) {
  const total = options.sources.reduce((n, t) => n + t.bytes, 0);
  return eachNode(options, async (sftp, progress) => {
    const remote = remotePath(options.remote);
    const info = await sftpCall<Stats>((cb) => sftp.stat(remote, cb)).catch(() => undefined);
    const into = info?.isDirectory() === true;
    if (!into && options.sources.length > 1) {
      throw new Error(`${options.remote} is not a directory there; copying several files needs one.`);
    }
    let files = 0;
    for (const tree of options.sources) {
      const top = into ? posix.join(remote, tree.name) : remote;
      for (const entry of tree.entries) {
        const target = entry.rel === '' ? top : posix.join(top, entry.rel);
        const source = entry.rel === '' ? tree.path : join(tree.path, entry.rel);
        if (entry.type === 'dir') await at(target, ensureRemoteDir(sftp, target, entry.mode));
        else if (entry.type === 'symlink') {
          await sftpCall((cb) => sftp.unlink(target, cb)).catch(() => undefined);
          await at(
            target,
            sftpCall((cb) => sftp.symlink(entry.link!, target, cb)),
          );
        } else {
          const base = progress.done;
          await at(
            target,
            sftpCall((cb) =>
              sftp.fastPut(
                source,
                target,
                { mode: entry.mode, step: (sent) => progress.set(base + sent, total) },
                cb,
              ),
            ),
          );
          // fastPut applies the mode only to new files.
          await at(
            target,
            sftpCall((cb) => sftp.chmod(target, entry.mode, cb)),
          );
          progress.set(base + entry.size, total);
          files++;
        }
      }
    }
    return { files, destination: remote };
  });
}

/** Copies `remote` from every target into `localDir/<node>/`. */
export function getFromNodes(options: TransferOptions & { remote: string; localDir: string }) {
  return eachNode(options, async (sftp, progress, node) => {
    const tree = await scanRemoteTree(sftp, remotePath(options.remote));
    if (!tree) throw new Error(`${options.remote} does not exist there.`);
    const nodeDir = join(options.localDir, node);
    await mkdir(nodeDir, { recursive: true });
    const top = join(nodeDir, tree.name);
    let files = 0;
    for (const entry of tree.entries) {
      const target = entry.rel === '' ? top : join(top, entry.rel);
      const source = entry.rel === '' ? tree.path : posix.join(tree.path, entry.rel);
      if (entry.type === 'dir') {
        await mkdir(target, { recursive: true });
        await chmod(target, entry.mode | 0o700);
      } else if (entry.type === 'symlink') {
        await rm(target, { force: true });
        await symlink(entry.link!, target);
      } else {
        const base = progress.done;
        await at(
          source,
          sftpCall((cb) =>
            sftp.fastGet(source, target, { step: (got) => progress.set(base + got, tree.bytes) }, cb),
          ),
        );
        await chmod(target, entry.mode);
        progress.set(base + entry.size, tree.bytes);
        files++;
      }
    }
    progress.set(progress.done, tree.bytes);
    return { files, destination: nodeDir };
  });
}

/** Adds the path to an SFTP error ("No such file" alone does not say which). */
async function at<T>(path: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${path}: ${message}`);
  }
}

/** Creates a remote directory unless it exists as one. */
async function ensureRemoteDir(sftp: SFTPWrapper, path: string, mode: number): Promise<void> {
  const info = await sftpCall<Stats>((cb) => sftp.stat(path, cb)).catch(() => undefined);
  if (info?.isDirectory()) return;
  await sftpCall((cb) => sftp.mkdir(path, { mode }, cb));
}

/** Runs `work` with an SFTP session on every target (bounded), turning failures into results. */
async function eachNode(
  options: TransferOptions,
  work: (
    sftp: SFTPWrapper,
    progress: { done: number; set(done: number, total: number): void },
    node: string,
  ) => Promise<{ files: number; destination: string }>,
): Promise<TransferResult[]> {
  const results = new Map<string, TransferResult>();
  const record = (result: TransferResult) => {
    results.set(result.node, result);
    options.onResult?.(result);
  };
  await eachLimited(options.targets, options.concurrency, async (target) => {
    const started = Date.now();
    const progress = {
      done: 0,
      set(done: number, total: number) {
        progress.done = done;
        options.onProgress?.(target.name, done, total);
      },
    };
    const fail = (status: 'error' | 'cancelled', error: string, errorCode?: string) =>
      record({
        node: target.name,
        status,
        files: 0,
        bytes: progress.done,
        error,
        ...(errorCode ? { errorCode } : {}),
        durationMs: Date.now() - started,
      });
    if ('unavailable' in target) return fail('error', target.unavailable, target.code);
    if (options.signal?.aborted) return fail('cancelled', 'not started: interrupted');
    let client: ssh2.Client | undefined;
    const onAbort = () => client?.destroy();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      client = await connectNode(target, options);
      const sftp = await sftpCall<SFTPWrapper>((cb) => client!.sftp(cb));
      const { files, destination } = await work(sftp, progress, target.name);
      record({
        node: target.name,
        status: 'done',
        files,
        bytes: progress.done,
        destination,
        durationMs: Date.now() - started,
      });
    } catch (error) {
      if (options.signal?.aborted) return fail('cancelled', 'interrupted');
      const e = error as Error & { code?: unknown };
      fail('error', e.message, typeof e.code === 'string' ? e.code : 'TransferFailed');
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      client?.end();
    }
  });
  return options.targets.map((t) => results.get(t.name)!);
}
