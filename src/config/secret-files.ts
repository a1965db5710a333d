/**
 * A cloud secret written into a config file that other users can read is a leaked secret: warn, at
 * the key's file and line, and say how to fix it. Values that only name an environment variable
 * (`$AWS_SECRET_ACCESS_KEY`) keep the secret out of the file and are fine.
 */
import { stat } from 'node:fs/promises';
import type { ConfigProblem } from '../errors.js';
import type { Section } from './sections.js';

const ONLY_A_VARIABLE = /^\$(\w+|\{\w+\})$/;
// Key ids (ec2_access_key) identify; these keys authenticate.
const SECRET = /secret|password|token|credential/i;

/** Warnings for secret keys of cloud sections held in group- or world-readable files. */
export async function secretFileWarnings(sections: Iterable<Section>): Promise<ConfigProblem[]> {
  const modes = new Map<string, Promise<number | undefined>>();
  const modeOf = (file: string) => {
    let mode = modes.get(file);
    if (!mode) {
      mode = stat(file).then(
        (s) => s.mode,
        () => undefined,
      );
      modes.set(file, mode);
    }
    return mode;
  };
  const warnings: ConfigProblem[] = [];
  for (const section of sections) {
    if (section.type !== 'cloud') continue;
    for (const entry of section.entries.values()) {
      if (!SECRET.test(entry.key) || ONLY_A_VARIABLE.test(entry.value.trim())) continue;
      const mode = await modeOf(entry.file);
      if (mode === undefined || (mode & 0o044) === 0) continue;
      warnings.push({
        file: entry.file,
        line: entry.line,
        section: section.name,
        key: entry.key,
        message: `this secret is in a file other users can read (mode ${(mode & 0o777).toString(8)}); run "chmod 600 ${entry.file}", or remove the key and use the cloud's own credentials (environment variables, ~/.aws/credentials with profile=).`,
      });
    }
  }
  return warnings;
}
