/**
 * The folders of src/ depend only downward:
 *
 *   cli -> ui -> cluster -> (setup, ssh, providers) -> state -> config -> shared (errors.ts, log.ts, util/)
 *
 * This test reads every import of src/ (static, `export ... from` and `import()`) and fails on an import
 * that goes up a layer, or on a cycle between folders of one layer, naming the file and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** Each folder's layer: a file may import its own folder, its layer's other folders and anything lower. */
const LAYER: Readonly<Record<string, number>> = {
  cli: 6,
  ui: 5,
  cluster: 4,
  setup: 3,
  ssh: 3,
  providers: 3,
  state: 2,
  config: 1,
  'errors.ts': 0,
  'log.ts': 0,
  util: 0,
};

/**
 * Upward imports kept on purpose, as `importer -> imported` (paths below src/). The cloud table is one
 * row per cloud in `providers/registry.ts` with each cloud's keys in its own `providers/<cloud>/schema.ts`
 * (plain data; a new cloud is one folder), so the config schemas and the state schema read it there.
 */
const ALLOWED_UPWARD = new Set([
  'config/schema/catalog.ts -> providers/registry.ts',
  'config/schema/cluster.ts -> providers/registry.ts',
  'config/schema/index.ts -> providers/registry.ts',
  'config/secret-keys.ts -> providers/registry.ts',
  'config/types.ts -> providers/registry.ts',
  'state/schema.ts -> providers/registry.ts',
]);

interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The relative imports of one file, as paths below src/ (`.js` specifiers mapped to their `.ts` source). */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)].map(
    (m) => m[1]!,
  );
  return specifiers.map((specifier) => ({
    from: relative(SRC, file),
    to: relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts'),
  }));
}

/** The folder (or shared top-level file) of a path below src/. */
function folderOf(path: string): string {
  return path.split('/')[0]!;
}

function layerOf(path: string): number {
  const layer = LAYER[folderOf(path)];
  if (layer === undefined) throw new Error(`src/${path}: folder "${folderOf(path)}" has no layer in LAYER`);
  return layer;
}

/** Upward imports, and cycles between folders, in a list of imports. */
function dependencyProblems(imports: readonly Import[]): string[] {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === b) continue;
    if (layerOf(to) > layerOf(from)) {
      if (!ALLOWED_UPWARD.has(`${from} -> ${to}`)) {
        problems.push(`src/${from} imports src/${to}: ${a} must not depend on ${b} (a higher layer)`);
      }
      continue;
    }
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a)!.add(b);
  }
  for (const cycle of folderCycles(edges)) problems.push(`folders import each other: ${cycle.join(' -> ')}`);
  return problems;
}

/** Every cycle in the folder graph, each reported once from its smallest folder name. */
function folderCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const walk = (start: string, path: string[]) => {
    for (const next of edges.get(path.at(-1)!) ?? []) {
      if (next === start) cycles.push([...path, start]);
      else if (next > start && !path.includes(next)) walk(start, [...path, next]);
    }
  };
  for (const start of edges.keys()) walk(start, [start]);
  return cycles;
}

const imports = sourceFiles(SRC).flatMap(importsOf);

describe('dependencies between the folders of src/', () => {
  it('reads the imports of src/', () => {
    // Guards the reader itself: a broken pattern would find nothing and pass every rule below.
    expect(imports.length).toBeGreaterThan(300);
    expect(imports).toContainEqual({ from: 'cli/commands/start.ts', to: 'cluster/start.ts' });
  });

  it('has no upward import and no cycle between folders', () => {
    expect(dependencyProblems(imports)).toEqual([]);
  });

  it('still needs every allowed upward import', () => {
    const used = new Set(imports.map((i) => `${i.from} -> ${i.to}`));
    expect([...ALLOWED_UPWARD].filter((edge) => !used.has(edge))).toEqual([]);
  });

  it('fails on an import from cluster into cli', () => {
    expect(dependencyProblems([{ from: 'cluster/start.ts', to: 'cli/node-counts.ts' }])).toEqual([
      'src/cluster/start.ts imports src/cli/node-counts.ts: cluster must not depend on cli (a higher layer)',
    ]);
  });

  it('fails on folders of one layer that import each other', () => {
    expect(
      dependencyProblems([
        { from: 'ssh/exec.ts', to: 'setup/ansible.ts' },
        { from: 'setup/ansible.ts', to: 'ssh/exec.ts' },
      ]),
    ).toEqual(['folders import each other: setup -> ssh -> setup']);
  });
});
