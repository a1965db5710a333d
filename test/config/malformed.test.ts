/**
 * Malformed configurations: each case asserts the file:line, key and message of its problem, and
 * that the message says how to fix it. Most cases append lines to a valid base config; appending
 * `[cloud/local]` again re-opens that section (sections merge), so one line can break any section.
 */
import { describe, expect, test } from 'vitest';
import { getTemplate } from '../../src/config/index.js';
import { formatProblem } from '../../src/errors.js';
import { allProblems, lineOf, loadText } from './helpers.js';
import { BASE, CASES, type Case, WARNING_CASES } from './malformed-cases.js';

/** The config text of a case, and the line after which its `at` text is looked for. */
function caseText({ append, text }: Case): { main: string; after: number } {
  return {
    main: text ?? (append === undefined ? BASE : `${BASE}${append}\n`),
    after: text === undefined && append !== undefined ? BASE.split('\n').length - 1 : 0,
  };
}

describe.each(CASES)('$name', (c) => {
  const { dropIn, at, key, message } = c;
  const { main, after } = caseText(c);

  test('reports file:line, key and a message that says how to fix it', async () => {
    const loaded = await loadText(main, dropIn === undefined ? {} : { dropIns: { '20-extra.conf': dropIn } });
    const file = dropIn === undefined ? loaded.main : `${loaded.main}.d/20-extra.conf`;
    const line = dropIn === undefined ? lineOf(main, at, after) : lineOf(dropIn, at);
    const problems = allProblems(loaded.config);
    const match = problems.find((p) => p.file === file && p.line === line && message.test(p.message));
    expect(
      match,
      `no problem at ${file}:${line} matching ${message} in ${JSON.stringify(problems, null, 1)}`,
    ).toBeDefined();
    expect(match!.key).toBe(key);
    // Every problem names its file and line, and a template's problems reach its ConfigError.
    for (const p of problems) expect(p.file && p.line).toBeTruthy();
    for (const invalid of loaded.config.invalid.values()) {
      try {
        getTemplate(loaded.config, invalid.name);
        expect.unreachable();
      } catch (error) {
        expect(error).toMatchObject({ code: 'ConfigInvalid', exitCode: 2 });
        for (const p of invalid.problems) expect((error as Error).message).toContain(formatProblem(p));
      }
    }
  });
});

describe.each(WARNING_CASES)('accepted with a warning: $name', (c) => {
  const { at, key, message } = c;
  const { main, after } = caseText(c);

  test('every template stays valid; the warning names file:line, key and what to do', async () => {
    const loaded = await loadText(main);
    expect(allProblems(loaded.config)).toEqual([]);
    const line = lineOf(main, at, after);
    const match = loaded.config.warnings.find(
      (w) => w.file === loaded.main && w.line === line && message.test(w.message),
    );
    expect(
      match,
      `no warning at ${line} matching ${message} in ${JSON.stringify(loaded.config.warnings, null, 1)}`,
    ).toBeDefined();
    expect(match!.key).toBe(key);
  });
});

test('there are at least 50 malformed cases', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(50);
});
