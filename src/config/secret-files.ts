/**
 * A secret (a cloud credential, an Ansible password) written into a config file that other users
 * can read is a leaked secret: warn, at the key's file and line, and say how to fix it. Values that
 * only name an environment variable (`$AWS_SECRET_ACCESS_KEY`) keep the secret out of the file.
 */
import { stat } from 'node:fs/promises';
import type { ConfigProblem } from '../errors.js';
import { SECRET_KEY_PATTERN } from './secret-keys.js';
import type { Section } from './sections.js';

/** A whole value that names an environment variable (`$NAME` or `${NAME}`). */
export const ONLY_A_VARIABLE = /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})$/;

/** Warnings for secret keys held in group- or world-readable files. Key ids (ec2_access_key) only identify. */
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
    const instead =
      section.type === 'cloud'
        ? "use the cloud's own credentials (environment variables, ~/.aws/credentials with profile=)"
        : 'read it from the environment (write the value as $VARIABLE)';
    for (const entry of section.entries.values()) {
      if (!SECRET_KEY_PATTERN.test(entry.key) || ONLY_A_VARIABLE.test(entry.value.trim())) continue;
      const mode = await modeOf(entry.file);
      if (mode === undefined || (mode & 0o044) === 0) continue;
      warnings.push({
        file: entry.file,
        line: entry.line,
        section: section.name,
        key: entry.key,
        message: `this secret is in a file other users can read (mode ${(mode & 0o777).toString(8)}); run "chmod 600 ${entry.file}", or remove the key and ${instead}.`,
      });
    }
  }
  return warnings;
}
