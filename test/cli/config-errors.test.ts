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

describe('an ElastiCluster template on a cloud herd cannot start yet', () => {
  const config = `[cloud/azure]
provider=azure
subscription_id=00000000-1111-2222-3333-444444444444
location=westeurope

[login/azure]
image_user=azureuser

[setup/gridengine]
frontend_groups=gridengine_master,slurm_mater
compute_groups=gridengine_clients

[cluster/sge]
cloud=azure
login=azure
setup=gridengine
image_id=canonical/ubuntuserver/16.04.0-LTS/latest
flavor=Standard_DS1_v2
frontend_nodes=1
compute_nodes=2
allow_reboot=yes
`;

  it('is listed as valid with a note; start warns about its groups, then says the provider cannot start nodes', async () => {
    const dir = join(root.dir, 'azure');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config'), config);
    const env = { HOME: dir, HERD_CONFIG: join(dir, 'config'), HERD_STORAGE: join(dir, 'storage') };
    const groupsLine = `${join(dir, 'config')}:${lineOf(config, 'frontend_groups')}`;

    const list = await runHerd(['list-templates'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/name: +sge\n/);
    expect(list.stdout).toContain('note: valid, but herd cannot start nodes on Microsoft Azure yet');
    expect(list.stderr).toContain(
      `${groupsLine}: [setup/gridengine] frontend_groups: group "slurm_mater" is not provided by herd's bundled playbooks (did you mean "slurm_master"?)`,
    );
    expect(list.stderr).toMatch(
      /group "gridengine_master" is not provided .*they provide|the bundled playbooks provide: slurm_master/,
    );
    expect(list.stderr).toContain(
      'allow_reboot: unknown key; herd passes it to Ansible as elasticluster.allow_reboot',
    );

    const start = await runHerd(['start', 'sge', '--no-setup'], { env });
    expect(start.code, start.stderr).toBe(1);
    expect(start.stderr).toContain(`${groupsLine}: [setup/gridengine] frontend_groups: group "slurm_mater"`);
    expect(start.stderr).toContain('[cloud/azure] provider=azure: this provider cannot start nodes yet');
    expect(hasStackTrace(start.stderr)).toBe(false);
    const clusters = await runHerd(['list', '--json'], { env });
    expect(JSON.parse(clusters.stdout).clusters).toEqual([]);
  });
});
