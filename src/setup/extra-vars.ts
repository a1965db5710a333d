/**
 * Extra vars (`-e`/`--extra-vars`) leave ansible-playbook's command line, where `ps` and herd's -vv
 * "Running:" line would show them (they may hold passwords): each becomes a private file in the
 * cluster's run directory, passed as `-e @FILE` and removed after the run.
 */
import { join } from 'node:path';
import { flagValue } from '../config/ansible-checks.js';
import { splitShellWords } from '../config/shell-words.js';

/** A file to write (mode 0600) before the run and remove after it. */
export interface RunFile {
  path: string;
  text: string;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The file contents that give Ansible the same variables as the inline `value`, or undefined
 * when herd cannot be sure to read it as Ansible does (then it stays on the command line).
 * YAML or JSON (`{...}`, `[...]`) is copied as is; `key=value ...` becomes a JSON object of
 * strings, as Ansible's key=value parser makes them, unless it holds Jinja or backslashes.
 */
export function extraVarsFileText(value: string): string | undefined {
  const text = value.trim();
  if (text.startsWith('{') || text.startsWith('[')) return `${value}\n`;
  if (/\\|\{\{|\{%|\{#/.test(value)) return undefined;
  const words = splitShellWords(value);
  if (typeof words === 'string' || words.length === 0) return undefined;
  const vars: Record<string, string> = {};
  for (const word of words) {
    const at = word.indexOf('=');
    const key = word.slice(0, at).trim();
    if (at <= 0 || !VARIABLE.test(key)) return undefined;
    vars[key] = word.slice(at + 1).trim();
  }
  return `${JSON.stringify(vars)}\n`;
}

/** Replaces every inline extra vars argument of `args` by `-e @<dir>/extra-vars-N.yml`. */
export function moveExtraVarsToFiles(
  args: readonly string[],
  dir: string,
): { args: string[]; files: RunFile[] } {
  const out: string[] = [];
  const files: RunFile[] = [];
  for (let i = 0; i < args.length; ) {
    const extra = flagValue(args, i, '--extra-vars', '-e');
    if (!extra) {
      out.push(args[i]!);
      i += 1;
      continue;
    }
    const text = extra.value.startsWith('@') ? undefined : extraVarsFileText(extra.value);
    if (text === undefined) out.push(...args.slice(i, extra.next));
    else {
      const path = join(dir, `extra-vars-${files.length + 1}.yml`);
      files.push({ path, text });
      out.push('-e', `@${path}`);
    }
    i = extra.next;
  }
  return { args: out, files };
}
