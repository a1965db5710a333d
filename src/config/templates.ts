/** Looking up templates for `start` and summarizing them for `list-templates`. */
import { ConfigError, type ConfigProblem } from '../errors.js';
import { closest } from '../util/suggest.js';
import { globToRegExp } from './glob.js';
import { cloudRow } from './schema/index.js';
import type { LoadedConfig, Template } from './types.js';

/** One row of `list-templates` (also its `--json` output). */
export interface TemplateSummary {
  name: string;
  /** Cloud section name, when known. */
  cloud: string | undefined;
  /** Provider (after alias resolution for valid templates), when known. */
  provider: string | undefined;
  /** Node count per kind, in config order. */
  counts: Readonly<Record<string, number>>;
  valid: boolean;
  /** Set when the template is valid but its provider cannot start nodes yet. */
  note?: string;
  problems: readonly ConfigProblem[];
}

/** The valid template NAME; a ConfigError (exit 2) with its problems, or "no template" with suggestions. */
export function getTemplate(config: LoadedConfig, name: string): Template {
  const template = config.templates.get(name);
  if (template) return template;
  const invalid = config.invalid.get(name);
  if (invalid) {
    throw new ConfigError(invalid.problems, {
      hint: `Fix the problems above in the template "${name}" or the sections it references, then run the command again.`,
    });
  }
  const names = [...config.templates.keys(), ...config.invalid.keys()].sort();
  const suggestion = closest(name, names);
  throw new ConfigError(
    [
      {
        file: config.files[0],
        message: `no template "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; ${
          names.length
            ? `templates: ${names.join(', ')}`
            : 'the configuration defines no [cluster/NAME] section'
        }`,
      },
    ],
    { hint: 'Run `herd list-templates` to see every template, or add a [cluster/NAME] section.' },
  );
}

/** Rows for every template matching any of the shell globs (all when none), sorted by name. */
export function summarizeTemplates(config: LoadedConfig, globs: readonly string[] = []): TemplateSummary[] {
  const patterns = globs.map(globToRegExp);
  const matches = (name: string) => patterns.length === 0 || patterns.some((p) => p.test(name));
  const rows: TemplateSummary[] = [];
  for (const t of config.templates.values()) {
    if (!matches(t.name)) continue;
    rows.push({
      name: t.name,
      cloud: t.cloud.name,
      provider: t.cloud.provider,
      counts: Object.fromEntries(t.kinds.map((k) => [k.name, k.count])),
      valid: true,
      ...noteFor(t),
      problems: [],
    });
  }
  for (const t of config.invalid.values()) {
    if (!matches(t.name)) continue;
    const counts = 'counts' in t ? (t.counts as Record<string, number>) : {};
    rows.push({
      name: t.name,
      cloud: t.cloudName,
      provider: t.provider,
      counts,
      valid: false,
      problems: t.problems,
    });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function noteFor(t: Template): { note?: string } {
  const cloud = cloudRow(t.cloud.provider);
  return cloud.load
    ? {}
    : { note: `valid, but herd cannot start nodes on ${cloud.title} yet (provider ${t.cloud.provider})` };
}
