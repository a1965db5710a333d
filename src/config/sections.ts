/**
 * Merges the INI blocks of every file into one table of sections. A section may appear several
 * times (in one file or across files): its keys merge and the later value wins, as ElastiCluster's
 * parser does; each override is recorded as a note naming both origins.
 */
import type { ConfigProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { IniBlock, IniEntry } from './ini-reader.js';

/** The section types herd knows; `node` is `[cluster/NAME/KIND]`. */
export type SectionType = 'cloud' | 'login' | 'setup' | 'cluster' | 'node';

const TYPES = ['cloud', 'login', 'setup', 'cluster'] as const;

/** One section after merging every block of the same name. */
export interface Section {
  /** Full name as written, e.g. `cluster/slurm/frontend`. */
  name: string;
  type: SectionType;
  /** NAME of `[type/NAME]` (for node sections the cluster's NAME). */
  label: string;
  /** KIND of `[cluster/NAME/KIND]`. */
  kind?: string;
  /** Where the section first appears. */
  file: string;
  line: number;
  /** Keys in first-appearance order; values are raw (not yet interpolated). */
  entries: Map<string, IniEntry>;
  /** Problems found inside this section while reading (malformed lines, interpolation). */
  problems: ConfigProblem[];
}

/** The merged sections, plus problems and notes that belong to no single section. */
export interface SectionTable {
  sections: Map<string, Section>;
  errors: ConfigProblem[];
  /** Sections herd accepts and ignores (ElastiCluster's `[storage]`). */
  warnings: ConfigProblem[];
  notes: ConfigProblem[];
}

/**
 * ElastiCluster's `[storage]` section (storage_path, storage_type) says where its own state files
 * go; herd keeps its state elsewhere, in its own format.
 */
const STORAGE_SECTION =
  "is ElastiCluster's state directory setting, which herd ignores: herd keeps its own state in -s/--storage (HERD_STORAGE, default ~/.herd/storage)";

/** Classifies a section name, or explains why it is not valid. */
function classify(name: string): { type: SectionType; label: string; kind?: string } | string {
  const parts = name.split('/');
  const type = parts[0]!;
  if (!(TYPES as readonly string[]).includes(type)) {
    const hint = didYouMean(type, TYPES);
    return `unknown section type "${type}"${hint}; section names are [cloud/NAME], [login/NAME], [setup/NAME], [cluster/NAME] or [cluster/NAME/KIND]`;
  }
  if (parts.length === 2 && parts[1] !== '') return { type: type as SectionType, label: parts[1]! };
  if (type === 'cluster' && parts.length === 3 && parts[1] !== '' && parts[2] !== '') {
    return { type: 'node', label: parts[1]!, kind: parts[2]! };
  }
  return type === 'cluster'
    ? `section name "[${name}]" must be [cluster/NAME] or [cluster/NAME/KIND]`
    : `section name "[${name}]" must be [${type}/NAME] with a non-empty NAME and no further "/"`;
}

/** Merges blocks (already in file order) into sections; misplaced lines go to `parseProblems`. */
export function mergeBlocks(
  blocks: readonly IniBlock[],
  parseProblems: readonly ConfigProblem[],
): SectionTable {
  const sections = new Map<string, Section>();
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const notes: ConfigProblem[] = [];
  const invalidNames = new Set<string>();
  for (const block of blocks) {
    if (block.name === 'storage') {
      warnings.push({ file: block.file, line: block.line, section: block.name, message: STORAGE_SECTION });
      continue;
    }
    let section = sections.get(block.name);
    if (!section) {
      if (invalidNames.has(block.name)) continue;
      const kind = classify(block.name);
      if (typeof kind === 'string') {
        invalidNames.add(block.name);
        errors.push({ file: block.file, line: block.line, section: block.name, message: kind });
        continue;
      }
      section = {
        name: block.name,
        ...kind,
        file: block.file,
        line: block.line,
        entries: new Map(),
        problems: [],
      };
      sections.set(block.name, section);
    }
    for (const entry of block.entries) {
      const earlier = section.entries.get(entry.key);
      if (earlier) {
        notes.push({
          file: entry.file,
          line: entry.line,
          section: section.name,
          key: entry.key,
          message: `overrides the value set at ${earlier.file}:${earlier.line} (the later value wins)`,
        });
      }
      section.entries.set(entry.key, entry);
    }
  }
  for (const problem of parseProblems) {
    const owner = problem.section === undefined ? undefined : sections.get(problem.section);
    if (owner) owner.problems.push(problem);
    else errors.push(problem);
  }
  return { sections, errors, warnings, notes };
}
