/**
 * Value interpolation, in ElastiCluster's order: first ConfigParser's `%(name)s` (from the same
 * section, then the built-in names; `%%` is a literal `%`), then `$VAR` / `${VAR}` from the
 * environment (an unset variable stays literal, with a warning).
 *
 * Secret values (see secret-keys.ts) are used as written: only `%%` becomes `%` (so a file written
 * for ConfigParser keeps its meaning), and a whole value `$NAME` or `${NAME}` is read from the
 * environment. Nothing else in them is expanded, so `%` and `$` inside a password neither fail
 * nor change it, and no message ever quotes a secret value.
 */
import type { ConfigProblem } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { IniEntry } from './ini-reader.js';
import { ONLY_A_VARIABLE } from './secret-files.js';
import { isSecretKey } from './secret-keys.js';
import type { Section } from './sections.js';

/** What interpolation may read besides the section itself. */
export interface InterpolationContext {
  /** Built-in `%(name)s` values (`herd_playbooks`, `elasticluster_playbooks`). */
  builtins: Readonly<Record<string, string>>;
  env: Readonly<Record<string, string | undefined>>;
}

// ConfigParser gives up at this depth too; deeper chains are almost always a cycle.
const MAX_DEPTH = 10;
const ENV_VAR = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

class InterpolationFailure extends Error {}

function expandPercent(
  value: string,
  section: Section,
  context: InterpolationContext,
  chain: readonly string[],
): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const at = value.indexOf('%', i);
    if (at < 0) return out + value.slice(i);
    out += value.slice(i, at);
    const next = value[at + 1];
    if (next === '%') {
      out += '%';
      i = at + 2;
      continue;
    }
    const match = next === '(' ? /^%\(([^)]+)\)s/.exec(value.slice(at)) : null;
    if (!match) {
      throw new InterpolationFailure(
        `bad "%" at "${value.slice(at, at + 12)}": write %(name)s to insert another key, or %% for a literal "%"`,
      );
    }
    const name = match[1]!;
    if (chain.includes(name) || chain.length >= MAX_DEPTH) {
      throw new InterpolationFailure(
        `%(${name})s refers to itself (${[...chain, name].join(' -> ')}); break the cycle`,
      );
    }
    const referenced = section.entries.get(name);
    if (referenced) out += expandPercent(referenced.value, section, context, [...chain, name]);
    else if (name in context.builtins) out += context.builtins[name];
    else {
      const known = [...section.entries.keys(), ...Object.keys(context.builtins)];
      throw new InterpolationFailure(
        `%(${name})s names no key of [${section.name}]${didYouMean(name, known)}; define ${name} in this section (interpolation reads only the same section) or write %% for a literal "%"`,
      );
    }
    i = at + match[0].length;
  }
  return out;
}

function expandEnv(entry: IniEntry, value: string, section: Section, context: InterpolationContext) {
  const warnings: ConfigProblem[] = [];
  const expanded = value.replace(ENV_VAR, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const set = context.env[name];
    if (set !== undefined) return set;
    warnings.push({
      file: entry.file,
      line: entry.line,
      section: section.name,
      key: entry.key,
      message: `environment variable ${name} is not set, so "${whole}" stays literal; export ${name} or change the value`,
    });
    return whole;
  });
  return { expanded, warnings };
}

/**
 * Interpolates every value of the section in place. Problems (bad `%`, unknown names, cycles) are
 * added to `section.problems`; unset environment variables are returned as warnings.
 */
export function interpolateSection(section: Section, context: InterpolationContext): ConfigProblem[] {
  const warnings: ConfigProblem[] = [];
  const results = new Map<string, IniEntry>();
  for (const [key, entry] of section.entries) {
    if (isSecretKey(key)) {
      const secret = secretValue(entry, context);
      if (secret.warning) warnings.push({ ...where(entry, section), message: secret.warning });
      results.set(key, { ...entry, value: secret.value });
      continue;
    }
    try {
      const percent = expandPercent(entry.value, section, context, [key]);
      const env = expandEnv(entry, percent, section, context);
      warnings.push(...env.warnings);
      results.set(key, { ...entry, value: env.expanded });
    } catch (error) {
      if (!(error instanceof InterpolationFailure)) throw error;
      section.problems.push({
        file: entry.file,
        line: entry.line,
        section: section.name,
        key,
        message: error.message,
      });
      results.set(key, entry);
    }
  }
  section.entries = results;
  return warnings;
}

function where(entry: IniEntry, section: Section): Omit<ConfigProblem, 'message'> {
  return { file: entry.file, line: entry.line, section: section.name, key: entry.key };
}

/** The value of a secret key: `%%` is `%`, a whole `$NAME` reads the environment, the rest is literal. */
function secretValue(entry: IniEntry, context: InterpolationContext): { value: string; warning?: string } {
  const variable = ONLY_A_VARIABLE.exec(entry.value);
  if (variable) {
    const set = context.env[(variable[1] ?? variable[2])!];
    if (set !== undefined) return { value: set };
    // The message must not name the variable: a password may look like one.
    return {
      value: entry.value,
      warning:
        'names an environment variable that is not set, so the value is used as written; export the variable or write the secret itself',
    };
  }
  const value = entry.value.replaceAll('%%', '%');
  if (/%\([^)]*\)s/.test(entry.value.replaceAll('%%', ''))) {
    return {
      value,
      warning:
        'secret values are not interpolated: a %(name)s in it is kept as written; write the secret itself (or $VARIABLE to read it from the environment)',
    };
  }
  return { value };
}
