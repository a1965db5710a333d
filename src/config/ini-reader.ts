/**
 * A small INI reader with ElastiCluster's (Python ConfigParser) syntax that keeps each key's file
 * and line.
 *
 * Why not the `ini` package: on ElastiCluster files it changes values and loses information. It
 * splits section names at dots into nested objects (`[cluster/v1.2]`), strips everything after `;`
 * or `#` (`image_userdata=#!/bin/sh` becomes empty), does not accept `key: value` nor indented
 * continuation lines (they become keys set to `true`), and gives no line numbers. ConfigParser's
 * rules are short enough to follow here directly:
 * - `[name]` starts a section (a `#` or `;` comment may follow it); `key = value` or `key: value`
 *   (the first `=` or `:` separates);
 *   key and value are trimmed; keys are case-sensitive.
 * - Lines whose first non-blank character is `#` or `;` are comments; blank lines are skipped.
 * - An indented line continues the previous value (joined with a newline).
 * - `;` after whitespace starts an inline comment (Python 2 ConfigParser, which ElastiCluster ran
 *   on, did this); `#` inside a value is kept, as shell snippets need it.
 */
import type { ConfigProblem } from '../errors.js';

/** One `key = value` line (plus its continuation lines). */
export interface IniEntry {
  key: string;
  value: string;
  file: string;
  /** Line of the key (continuations follow it). */
  line: number;
}

/** One `[name]` block as written; the same name may occur again later. */
export interface IniBlock {
  name: string;
  file: string;
  line: number;
  entries: IniEntry[];
}

/** The blocks of one file in order, and the lines that could not be read. */
export interface IniFile {
  blocks: IniBlock[];
  problems: ConfigProblem[];
}

const INLINE_COMMENT = /\s;.*$/;
const HEADER_COMMENT = /\]\s+[#;].*$/;

/** Splits INI text into blocks of entries, reporting malformed lines with their file and line. */
export function readIni(text: string, file: string): IniFile {
  const blocks: IniBlock[] = [];
  const problems: ConfigProblem[] = [];
  let block: IniBlock | undefined;
  let last: IniEntry | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (/^\s/.test(raw)) {
      if (last) {
        const more = trimmed.replace(INLINE_COMMENT, '').trimEnd();
        last.value = last.value === '' ? more : `${last.value}\n${more}`;
        continue;
      }
      problems.push({
        file,
        line,
        section: block?.name,
        message: `indented line "${trimmed}" continues no value; remove the leading spaces to make it a key`,
      });
      continue;
    }
    if (trimmed.startsWith('[')) {
      last = undefined;
      // `[cluster/slurm/compute]  # comment`: ConfigParser reads the name up to the last `]`.
      const header = trimmed.replace(HEADER_COMMENT, ']');
      if (!header.endsWith(']') || header.length < 3) {
        block = undefined;
        problems.push({
          file,
          line,
          message: `malformed section header "${trimmed}"; write it as [type/name], e.g. [cluster/slurm]`,
        });
        continue;
      }
      block = { name: header.slice(1, -1).trim(), file, line, entries: [] };
      blocks.push(block);
      continue;
    }
    const sep = raw.search(/[=:]/);
    if (sep <= 0 || raw.slice(0, sep).trim() === '') {
      last = undefined;
      problems.push({
        file,
        line,
        section: block?.name,
        message:
          sep === 0 || (sep > 0 && raw.slice(0, sep).trim() === '')
            ? `line "${trimmed}" has no key before "${raw[sep]}"; write key=value`
            : `line "${trimmed}" is not key=value; add "=" and a value, or comment it out with "#"`,
      });
      continue;
    }
    const key = raw.slice(0, sep).trim();
    const value = raw
      .slice(sep + 1)
      .replace(INLINE_COMMENT, '')
      .trim();
    if (!block) {
      problems.push({
        file,
        line,
        key,
        message: `key outside any section; put it under a section header such as [cluster/NAME]`,
      });
      last = undefined;
      continue;
    }
    last = { key, value, file, line };
    block.entries.push(last);
  }
  return { blocks, problems };
}
