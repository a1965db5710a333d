/**
 * ElastiCluster-style config files (`elasticluster-corpus/*.conf`): herd lists as valid exactly the
 * templates ElastiCluster's loader keeps, except where a file names a deliberate difference.
 *
 * Each file's header says which templates ElastiCluster keeps (`# elasticluster-valid:`). That was
 * worked out from ElastiCluster's `elasticluster/conf.py` (SCHEMA and CLOUD_PROVIDER_SCHEMAS for
 * the keys and values each section takes, KEY_RENAMES, `_build_node_section` for the node counts,
 * `_validate_node_group_names` for kind names, `_dereference_config_tree` and
 * `_cross_validate_final_config` for references, groups, ssh_to and EC2 networks) and
 * `docs/configure.rst`, then checked by running ElastiCluster's own `load_config_files` on every
 * file with `elasticluster-corpus/check-with-elasticluster.py` (ElastiCluster master 552c51e7; run
 * it again after editing a file). A difference is one header line with its reason:
 * `# herd-refuses: NAME /error/ why` (ElastiCluster keeps a template that cannot work; herd's error
 * must match) or `# herd-accepts: NAME why` (ElastiCluster drops or crashes on it). Other lines:
 * `# expect-warning: /re/` (a warning, as `file:line: [section] key: message`), `# expect-error:
 * NAME /re/`, `# expect-note: NAME /re/` (list-templates), `# expect-warning-count: N`, and
 * `# env: NAME=value` (the environment, for both loaders).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, summarizeTemplates } from '../../src/config/index.js';
import { PROVIDERS_WITHOUT_NODES } from '../../src/config/schema/index.js';
import { formatProblem } from '../../src/errors.js';

const CORPUS = join(import.meta.dirname, 'elasticluster-corpus');
const PLAYBOOKS = resolve(import.meta.dirname, '..', '..', 'playbooks');

/** The groups ElastiCluster's bundled playbooks act on (the `hosts:` lines of main.yml and roles/*.yml). */
const ELASTICLUSTER_GROUPS = [
  'anaconda', 'ansible', 'azure_files', 'ceph_client', 'ceph_mds', 'ceph_mon', 'ceph_osd',
  'condor_master', 'condor_worker', 'cuda', 'docker', 'easybuild', 'ganglia_collector',
  'ganglia_master', 'ganglia_monitor', 'ganglia_web', 'glusterfs_client', 'glusterfs_server',
  'gridengine_master', 'gridengine_worker', 'hadoop_master', 'hadoop_worker', 'hpc',
  'ipython_controller', 'ipython_engine', 'jenkins', 'julia', 'jupyterhub', 'kubernetes_master',
  'kubernetes_worker', 'nfs-server', 'ntp_master', 'opencpu', 'pbspro_client', 'pbspro_master',
  'pbspro_worker', 'pvfs2', 'pvfs2_client', 'pvfs2_data', 'pvfs2_meta', 'r', 'rstudio', 'samba',
  'slurm_client', 'slurm_master', 'slurm_submit', 'slurm_worker', 'torque_master', 'torque_worker',
]; // biome-ignore format: a list of names reads best packed

interface CorpusFile {
  file: string;
  text: string;
  elasticlusterValid: string[];
  refuses: { name: string; error: RegExp; why: string }[];
  accepts: { name: string; why: string }[];
  warnings: RegExp[];
  warningCount: number | undefined;
  errors: { name: string; error: RegExp }[];
  notes: { name: string; note: RegExp }[];
  env: Record<string, string>;
}

function headerLines(text: string, name: string): string[] {
  const prefix = `# ${name}:`;
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).trim());
}

/** `NAME /regex/ rest` -> its parts. */
function namedRegExp(line: string): { name: string; re: RegExp; rest: string } {
  const match = /^(\S+)\s+\/(.*)\/(?:\s+(.*))?$/.exec(line);
  if (!match) throw new Error(`expected "NAME /regex/ ...", got: ${line}`);
  return { name: match[1]!, re: new RegExp(match[2]!), rest: match[3] ?? '' };
}

function parseCorpusFile(file: string, text: string): CorpusFile {
  const [valid] = headerLines(text, 'elasticluster-valid');
  if (valid === undefined) throw new Error(`${file}: no "# elasticluster-valid:" line`);
  const count = headerLines(text, 'expect-warning-count')[0];
  return {
    file,
    text,
    elasticlusterValid: valid === 'none' ? [] : valid.split(/\s+/).sort(),
    refuses: headerLines(text, 'herd-refuses').map((l) => {
      const { name, re, rest } = namedRegExp(l);
      return { name, error: re, why: rest };
    }),
    accepts: headerLines(text, 'herd-accepts').map((l) => {
      const [name, ...why] = l.split(/\s+/);
      return { name: name!, why: why.join(' ') };
    }),
    warnings: headerLines(text, 'expect-warning').map((l) => new RegExp(l.replace(/^\/|\/$/g, ''))),
    warningCount: count === undefined ? undefined : Number(count),
    errors: headerLines(text, 'expect-error').map((l) => {
      const { name, re } = namedRegExp(l);
      return { name, error: re };
    }),
    notes: headerLines(text, 'expect-note').map((l) => {
      const { name, re } = namedRegExp(l);
      return { name, note: re };
    }),
    env: Object.fromEntries(
      headerLines(text, 'env').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ),
  };
}

const names = (await readdir(CORPUS)).filter((n) => n.endsWith('.conf')).sort();
const corpus = await Promise.all(
  names.map(async (n) => parseCorpusFile(n, await readFile(join(CORPUS, n), 'utf8'))),
);

/** Loads a corpus file as herd does, with the real bundled playbooks and the key files ElastiCluster wants. */
async function loadCorpusFile(c: CorpusFile) {
  const home = await mkdtemp(join(tmpdir(), 'herd-corpus-'));
  try {
    await mkdir(join(home, '.ssh'));
    await writeFile(join(home, '.ssh', 'id_rsa'), '');
    await writeFile(join(home, '.ssh', 'id_rsa.pub'), '');
    const configPath = join(home, 'config');
    await writeFile(configPath, c.text);
    return await loadConfig({ configPath, env: { HOME: home, ...c.env }, playbooksDir: PLAYBOOKS });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

describe.each(corpus)('$file', (c) => {
  test('herd lists as valid the templates ElastiCluster keeps, but for the differences the file names', async () => {
    const config = await loadCorpusFile(c);
    const refused = new Set(c.refuses.map((r) => r.name));
    const expected = [
      ...c.elasticlusterValid.filter((n) => !refused.has(n)),
      ...c.accepts.map((a) => a.name),
    ];
    const problems = (name: string) => config.invalid.get(name)?.problems.map(formatProblem) ?? [];
    expect(
      [...config.templates.keys()].sort(),
      JSON.stringify(Object.fromEntries([...config.invalid].map(([n, t]) => [n, t.problems])), null, 1),
    ).toEqual(expected.sort());
    expect(config.errors).toEqual([]);
    for (const { name, error, why } of c.refuses) {
      expect(c.elasticlusterValid, `${name} is refused by ElastiCluster too`).toContain(name);
      expect(why, `herd-refuses ${name} says why`).not.toBe('');
      expect(
        problems(name).some((m) => error.test(m)),
        `${name}: ${error} in ${problems(name)}`,
      ).toBe(true);
    }
    for (const { name, why } of c.accepts) {
      expect(c.elasticlusterValid, `${name} is kept by ElastiCluster too`).not.toContain(name);
      expect(why, `herd-accepts ${name} says why`).not.toBe('');
    }
    for (const { name, error } of c.errors) {
      expect(
        problems(name).some((m) => error.test(m)),
        `${name}: ${error} in ${problems(name)}`,
      ).toBe(true);
    }
  });

  test('warns where ElastiCluster would silently do something else; notes what herd cannot start', async () => {
    const config = await loadCorpusFile(c);
    const warnings = config.warnings.map(formatProblem);
    for (const re of c.warnings) {
      expect(
        warnings.some((w) => re.test(w)),
        `${re} in\n${warnings.join('\n')}`,
      ).toBe(true);
    }
    if (c.warningCount !== undefined) expect(warnings).toHaveLength(c.warningCount);
    const rows = summarizeTemplates(config);
    for (const { name, note } of c.notes) {
      expect(rows.find((r) => r.name === name)?.note).toMatch(note);
    }
    for (const row of rows.filter((r) => r.valid)) {
      const startable = !Object.hasOwn(PROVIDERS_WITHOUT_NODES, row.provider!);
      expect(row.note === undefined, `${row.name}: ${row.note}`).toBe(startable);
    }
  });
});

describe('the corpus', () => {
  let providers: Set<string>;
  beforeAll(async () => {
    providers = new Set();
    for (const c of corpus) {
      for (const t of (await loadCorpusFile(c)).templates.values()) providers.add(t.cloud.provider);
    }
  });

  test('has at least 25 files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(25);
  });

  test('has a valid template on every cloud ElastiCluster has', () => {
    expect([...providers].sort()).toEqual(
      ['azure', 'ec2_boto', 'google', 'libcloud', 'opennebula', 'openstack'].sort(),
    );
  });

  test("names every group of ElastiCluster's playbooks, and each old group name it renames", () => {
    const written = new Set(
      corpus.flatMap((c) =>
        [...c.text.matchAll(/^\S+_groups\s*=\s*(.*)$/gm)].flatMap((m) =>
          m[1]!.split(',').map((g) => g.trim()),
        ),
      ),
    );
    const old = ['condor_workers', 'gluster_client', 'gluster_data', 'gridengine_clients', 'maui_master'];
    const oldToo = ['pbs_clients', 'pbs_master', 'slurm_clients', 'slurm_workers'];
    const missing = [...ELASTICLUSTER_GROUPS, ...old, ...oldToo].filter((g) => !written.has(g));
    expect(missing).toEqual([]);
  });

  test('documents every difference from ElastiCluster with a reason', () => {
    const differences = corpus.flatMap((c) => [...c.refuses, ...c.accepts]);
    expect(differences.length).toBeGreaterThan(0);
    for (const d of differences) expect(d.why.length, d.name).toBeGreaterThan(10);
  });
});
