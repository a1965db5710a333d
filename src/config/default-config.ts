/** First run: put the commented default configuration where herd looks for it. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Copies `templateFile` (config-templates/config) to `configPath` if nothing is there yet, creating
 * missing directories with mode 0700 and the file with mode 0600 (it will hold credentials).
 * Returns whether it copied.
 */
export async function ensureDefaultConfig(configPath: string, templateFile: string): Promise<boolean> {
  try {
    await stat(configPath);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const text = await readFile(templateFile);
  await mkdir(dirname(configPath), { recursive: true, mode: 0o700 });
  try {
    // `wx`: if a concurrent herd created the file first, keep theirs.
    await writeFile(configPath, text, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  return true;
}
