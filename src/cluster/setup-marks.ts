/**
 * The real {@link SetupMarks}: the digest of a run's inputs (src/setup/setup-digest.ts), the mark
 * each node keeps in a root-only file (read and written over herd's own SSH connections, one
 * round trip per node, all nodes at once), and the per-cluster fact cache Ansible keeps in the
 * cluster's run directory (`facts/<node>`), which a run limited to some nodes reads for the others.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { factCacheDir } from '../setup/ansible.js';
import { type DigestContext, SETUP_DIGEST_PATH, setupDigest } from '../setup/setup-digest.js';
import { parseHostKey } from '../ssh/known-hosts.js';
import { shellQuote } from '../ssh/openssh.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import type { SetupMarks } from './deps.js';
import { execOnRecords } from './remote.js';

/** What the real marks need: the digest's context and the cluster's run directory. */
export interface SetupMarksOptions {
  readonly digestContext: DigestContext;
  readonly runDirOf: (state: ClusterState) => string;
}

// Nodes answered SSH moments ago: a node that takes this long is in doubt, and doubt means a run.
const TIMEOUT_MS = 30_000;
const FANOUT = 64;

/** `script` as root: directly when logged in as root, else through sudo without a password prompt. */
function asRoot(script: string): string {
  const quoted = shellQuote(script);
  return `if [ "$(id -u)" = 0 ]; then sh -c ${quoted}; else sudo -n sh -c ${quoted}; fi`;
}

/** The real marks. */
export function createSetupMarks(options: SetupMarksOptions): SetupMarks {
  const path = shellQuote(SETUP_DIGEST_PATH);
  return {
    digest: (state, template) => setupDigest(state, template, options.digestContext),
    read: async (state, nodes, signal) => {
      const results = await execOnRecords(state, nodes, asRoot(`cat ${path}`), {
        fanout: FANOUT,
        timeoutMs: TIMEOUT_MS,
        signal,
      });
      return new Map(
        results.map((r) => [
          r.node,
          r.status === 'exited' && r.exitCode === 0 ? r.stdout.trim() || undefined : undefined,
        ]),
      );
    },
    write: async (state, nodes, mark, signal) => {
      const script =
        mark === undefined
          ? `rm -f ${path}`
          : `umask 077 && mkdir -p /var/lib/herd && printf '%s\\n' ${shellQuote(mark)} > ${path}.tmp && mv -f ${path}.tmp ${path}`;
      const results = await execOnRecords(state, nodes, asRoot(script), {
        fanout: FANOUT,
        timeoutMs: TIMEOUT_MS,
        signal,
      });
      return results.filter((r) => r.status !== 'exited' || r.exitCode !== 0).map((r) => r.node);
    },
    cachedFacts: async (state, nodes) => {
      const dir = factCacheDir(options.runDirOf(state));
      const found = new Set<string>();
      for (const node of nodes) {
        if (await factsMatchHostKey(join(dir, node.name), node)) found.add(node.name);
      }
      return found;
    },
  };
}

/** Whether the cached facts at `file` were gathered from `node` as herd knows it (same host key). */
async function factsMatchHostKey(file: string, node: NodeRecord): Promise<boolean> {
  const pinned = node.hostKey === undefined ? undefined : parseHostKey(node.hostKey);
  if (!pinned) return false;
  try {
    const facts = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    return Object.entries(facts).some(
      ([key, value]) => /^ansible_ssh_host_key_[a-z0-9]+_public$/.test(key) && value === pinned.base64,
    );
  } catch {
    return false;
  }
}
