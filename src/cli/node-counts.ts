import { kindNameProblem, MAX_NODES_PER_KIND } from '../config/kinds.js';
import type { NodeCount } from '../config/node-counts.js';
import { UsageError } from '../errors.js';

/**
 * Parses `N:KIND[,N:KIND...]` (the value of `--nodes`, `-a`, `-r`). The single place where these values are
 * checked: a malformed value is a UsageError (exit 2) that names the flag and the bad item.
 * A kind given twice is an error rather than a silent sum, because it is almost always a typo.
 */
export function parseNodeCounts(value: string, flag: string): NodeCount[] {
  const example = `${flag} 2:compute or ${flag} 1:frontend,4:compute`;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) {
    throw new UsageError(`${flag} needs a value of the form N:KIND, got an empty value.`, {
      hint: `Example: ${example}`,
    });
  }
  const seen = new Set<string>();
  return items.map((item) => {
    const match = /^(\d+):(.+)$/.exec(item);
    if (!match) {
      const reason = /^\d+$/.test(item)
        ? `"${item}" has no kind`
        : /^[^:]+$/.test(item)
          ? `"${item}" has no count`
          : `"${item}" is not of the form N:KIND`;
      throw new UsageError(`Invalid ${flag} value "${value}": ${reason}.`, { hint: `Example: ${example}` });
    }
    const count = Number(match[1]);
    const kind = match[2]!;
    if (!Number.isSafeInteger(count) || count > MAX_NODES_PER_KIND) {
      throw new UsageError(
        `Invalid ${flag} value "${item}": ${match[1]} is too many nodes (at most ${MAX_NODES_PER_KIND}).`,
      );
    }
    const badKind = kindNameProblem(kind);
    if (badKind) {
      throw new UsageError(`Invalid ${flag} value "${item}": ${badKind}.`, { hint: `Example: ${example}` });
    }
    if (seen.has(kind)) {
      throw new UsageError(`Invalid ${flag} value "${value}": kind "${kind}" is given twice.`, {
        hint: 'Give each kind once.',
      });
    }
    seen.add(kind);
    return { kind, count };
  });
}
