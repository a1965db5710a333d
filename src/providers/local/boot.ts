/**
 * The first boot of a new node, shared by the provider and the test node farm (one boot path): the
 * record is written first (the node exists on disk, `complete: false`), then the overlay is mounted,
 * the first-boot files written and nspawn launched, once more when it dies during boot.
 */
import { ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import {
  launchNode,
  mountNode,
  type NodePaths,
  type NodeRecordFile,
  readNodeRecord,
  shutdownNode,
  writeNodeRecord,
} from './node.js';
import { type NodeIdentity, writeFirstBootFiles } from './node-files.js';

/** Timeouts and the logger of a boot. */
export interface BootOptions {
  log: Logger;
  /** How long to wait for systemd to start inside the node (launchNode's default when absent). */
  bootTimeoutMs?: number | undefined;
  /** How long a node that died during boot may take to power off before it is killed. */
  stopTimeoutMs?: number | undefined;
}

/**
 * Boots a node created just now from `record` (its IP leased, its directory made) with `identity`.
 * Returns the record as launched (complete, with the PID). The caller removes the node on failure.
 */
export async function bootNewNode(
  paths: NodePaths,
  record: NodeRecordFile,
  identity: NodeIdentity,
  options: BootOptions,
): Promise<NodeRecordFile> {
  await writeNodeRecord(paths, { ...record, complete: false });
  await mountNode(paths, record.lowerDir);
  await writeFirstBootFiles(paths.merged, identity);
  // Recorded as complete by the launch, which writes the record with the PID.
  return launchWithRetry(paths, { ...record, complete: true }, options);
}

/**
 * Launches a node, once more if nspawn dies during boot: seen once in a loaded test run, with
 * nothing on the console; a second launch of the same tree is harmless and usually boots.
 */
async function launchWithRetry(
  paths: NodePaths,
  record: NodeRecordFile,
  options: BootOptions,
): Promise<NodeRecordFile> {
  try {
    return await launchNode(paths, record, options.bootTimeoutMs);
  } catch (error) {
    if (!(error instanceof ProviderError) || error.code !== 'LocalNodeStartFailed') throw error;
    options.log.warn(`${error.message.split('\n')[0]} Trying once more.`);
    await shutdownNode(paths, (await readNodeRecord(paths)) ?? record, options.stopTimeoutMs);
    await mountNode(paths, record.lowerDir);
    return launchNode(paths, record, options.bootTimeoutMs);
  }
}
