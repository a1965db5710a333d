/**
 * The real {@link SetupMarks}: the digest of a run's inputs (src/setup/setup-digest.ts), the mark
 * each node keeps in a root-only file (read and written over herd's own SSH connections, one
 * round trip per node, all nodes at once).
 */
import { type DigestContext, SETUP_DIGEST_PATH, setupDigest } from '../setup/setup-digest.js';
import { shellQuote } from '../ssh/openssh.js';

import type { SetupMarks } from './deps.js';
import { execOnRecords } from './remote.js';

/** What the real marks need: the digest's context. */
export interface SetupMarksOptions {
  readonly digestContext: DigestContext;
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
  };
}
