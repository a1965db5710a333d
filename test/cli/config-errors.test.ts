/**
 * Every malformed configuration, through the real CLI: exit code 2, the file:line and key in the
 * message, and no stack trace. Also list-templates with a mix of valid and invalid templates.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineOf } from '../config/helpers.js';
import { BASE, CASES } from '../config/malformed-cases.js';
import { hasStackTrace, makeTempDir, runHerd } from '../helpers/cli.js';

let root: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  root = await makeTempDir('herd-cli-config-');
});
afterAll(() => root.cleanup());

describe.concurrent.each(CASES.map((c, i) => ({ ...c, i })))(
  '$name',
  ({ i, append, text, dropIn, at, key }) => {
    it('exits 2 naming file:line and key, without a stack trace', async () => {
      const dir = join(root.dir, `case${i}`);
      await mkdir(dir, { recursive: true });
      const main = text ?? (append === undefined ? BASE : `${BASE}${append}\n`);
      const config = join(dir, 'config');
      await writeFile(config, main);
      if (dropIn !== undefined) {
        await mkdir(`${config}.d`);
        await writeFile(join(`${config}.d`, '20-extra.conf'), dropIn);
      }
      const after = text === undefined && append !== undefined ? BASE.split('\n').length - 1 : 0;
      const file = dropIn === undefined ? config : `${config}.d/20-extra.conf`;
      const line = dropIn === undefined ? lineOf(main, at, after) : lineOf(dropIn, at);
      const result = await runHerd(['list-templates', '-c', config, '-s', join(dir, 'storage')], {
        env: { HOME: dir },
      });
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(2);
      if (result.stderr.includes('herd: error'))
        expect(result.stderr).toContain('herd: error [ConfigInvalid]: ');
      expect(output).toContain(`${file}:${line}`);
      if (key) expect(output).toContain(key);
      expect(hasStackTrace(output)).toBe(false);
    });
  },
);

describe('list-templates and start with valid and invalid templates', () => {
  const config = `${BASE}
[cluster/broken]
cloud=local
login=local
setup=slurm
frontend_nodes=1
compute_nodes=two
`;

  it('lists both, marks the invalid one, exits 2; --json says the same', async () => {
    const dir = join(root.dir, 'mixed');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config'), config);
    const env = { HOME: dir, HERD_CONFIG: join(dir, 'config'), HERD_STORAGE: join(dir, 'storage') };
    const text = await runHerd(['list-templates'], { env });
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/name: +broken +\(INVALID\)/);
    expect(text.stdout).toMatch(/name: +slurm\n/);
    expect(text.stdout).toContain(`${join(dir, 'config')}:${lineOf(config, 'compute_nodes=two')}`);

    const json = await runHerd(['list-templates', '--json'], { env });
    expect(json.code).toBe(2);
    const parsed = JSON.parse(json.stdout) as { templates: { name: string; valid: boolean }[] };
    expect(parsed.templates.map((t) => [t.name, t.valid])).toEqual([
      ['broken', false],
      ['slurm', true],
    ]);

    // A glob that matches only the valid template exits 0: an invalid one never blocks a valid one.
    const onlyValid = await runHerd(['list-templates', 'sl*'], { env });
    expect(onlyValid.code).toBe(0);

    // Starting the invalid template fails with exit 2 and its problem, before touching anything.
    const start = await runHerd(['start', 'broken', '--no-setup'], { env });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('herd: error [ConfigInvalid]: ');
    expect(start.stderr).toContain('compute_nodes');
    expect(hasStackTrace(start.stderr)).toBe(false);
  });
});
