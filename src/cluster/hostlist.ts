/**
 * pdsh-style host lists: `compute[001-010,015]` as a name pattern (numbers compared by value, so
 * `compute[1-3]` also matches `compute001`), and the reverse, many names folded into one short list
 * (`compute[001-003,005],frontend001`) for headers and summaries.
 */
import { globToRegExp } from '../config/glob.js';

/** One `[...]` range set: numbers, and the digit count when the user wrote leading zeros. */
interface RangeSet {
  numbers: (n: number) => boolean;
  width: number | undefined;
}

const RANGE_BODY = /^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$/;

/** True when `pattern` holds a numeric range (`[1-3]`, `[001,004]`), as opposed to a glob class (`[ab]`). */
export function hasRange(pattern: string): boolean {
  return splitPattern(pattern).some((part) => typeof part !== 'string');
}

/**
 * A predicate for a node name pattern: globs (`*`, `?`, `[ab]`) and numeric ranges (`[001-010]`,
 * `[1,3,5-7]`). Throws an Error with a readable message for a malformed range (`[9-1]`).
 */
export function compileNamePattern(pattern: string): (name: string) => boolean {
  const parts = splitPattern(pattern);
  const ranges: RangeSet[] = [];
  let source = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      // A glob fragment: reuse the shell glob translation, without its anchors.
      source += part === '' ? '' : globToRegExp(part).source.slice(1, -1);
    } else {
      ranges.push(part);
      source += '(\\d+)';
    }
  }
  const re = new RegExp(`^${source}$`, 's');
  return (name) => {
    const match = re.exec(name);
    if (!match) return false;
    return ranges.every((range, i) => {
      const digits = match[i + 1]!;
      if (range.width !== undefined && digits.length !== range.width) return false;
      return range.numbers(Number(digits));
    });
  };
}

/** Splits a pattern into glob text and numeric range sets, in order. */
function splitPattern(pattern: string): (string | RangeSet)[] {
  const parts: (string | RangeSet)[] = [];
  let text = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      text += c + pattern[++i];
      continue;
    }
    if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      const body = close < 0 ? '' : pattern.slice(i + 1, close);
      if (RANGE_BODY.test(body)) {
        parts.push(text);
        text = '';
        parts.push(parseRange(body, pattern));
        i = close;
        continue;
      }
    }
    text += c;
  }
  parts.push(text);
  return parts;
}

function parseRange(body: string, pattern: string): RangeSet {
  const items = body.split(',').map((item) => {
    const [from, to = from] = item.split('-') as [string, string?];
    const lo = Number(from);
    const hi = Number(to);
    if (hi < lo) throw new Error(`"${pattern}": the range ${item} runs backwards; write ${to}-${from}.`);
    return { lo, hi, padded: from.length > 1 && from.startsWith('0') ? from.length : undefined };
  });
  const widths = [...new Set(items.map((i) => i.padded).filter((w) => w !== undefined))];
  return {
    numbers: (n) => items.some((i) => n >= i.lo && n <= i.hi),
    width: widths.length === 1 ? widths[0] : undefined,
  };
}

/**
 * Splits a comma-separated list of patterns, keeping commas inside brackets:
 * `frontend001,compute[1,3]` -> `frontend001`, `compute[1,3]`.
 */
export function splitPatternList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']') depth = Math.max(0, depth - 1);
    if (c === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else current += c;
  }
  items.push(current);
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Folds names into a host list: names that differ only in a trailing number of the same width share a
 * bracket (`compute001,compute002,compute004` -> `compute[001-002,004]`). Order: as first seen.
 */
export function compressHostlist(names: readonly string[]): string {
  const groups = new Map<string, { prefix: string; numbers: number[]; width: number }>();
  const order: string[] = [];
  for (const name of new Set(names)) {
    const match = /^(.*?)(\d+)$/.exec(name);
    const key = match ? `${match[1]}\0${match[2]!.length}` : `${name}\0`;
    let group = groups.get(key);
    if (!group) {
      group = { prefix: match ? match[1]! : name, numbers: [], width: match ? match[2]!.length : 0 };
      groups.set(key, group);
      order.push(key);
    }
    if (match) group.numbers.push(Number(match[2]));
  }
  return order
    .map((key) => {
      const { prefix, numbers, width } = groups.get(key)!;
      if (numbers.length === 0) return prefix;
      const pad = (n: number) => String(n).padStart(width, '0');
      if (numbers.length === 1) return `${prefix}${pad(numbers[0]!)}`;
      const sorted = [...numbers].sort((a, b) => a - b);
      const runs: string[] = [];
      let start = sorted[0]!;
      let prev = start;
      for (const n of [...sorted.slice(1), Number.NaN]) {
        if (n === prev + 1) {
          prev = n;
          continue;
        }
        runs.push(start === prev ? pad(start) : `${pad(start)}-${pad(prev)}`);
        start = n;
        prev = n;
      }
      return `${prefix}[${runs.join(',')}]`;
    })
    .join(',');
}
