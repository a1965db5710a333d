/** First run: put the commented default configuration where herd looks for it. */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { describeFileError } from './file-errors.js';

/**
 * Copies `templateFile` (config-templates/config) to `configPath` if nothing is there yet, creating
 * missing directories with mode 0700 and the file with mode 0600 (it will hold credentials).
 * Returns whether it copied. A path that cannot be checked or created (a parent is a file, a
 * directory herd may not enter) is a ConfigError (exit 2) saying which.
 */
export async function ensureDefaultConfig(configPath: string, templateFile: string): Promise<boolean> {
  try {
    await stat(configPath);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotCreate(configPath, error);
  }
  const text = await readFile(templateFile);
  try {
    await mkdir(dirname(configPath), { recursive: true, mode: 0o700 });
    // `wx`: if a concurrent herd created the file first, keep theirs.
    await writeFile(configPath, text, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw cannotCreate(configPath, error);
  }
  return true;
}

function cannotCreate(configPath: string, error: unknown): ConfigError {
  return new ConfigError(
    [{ file: configPath, message: `cannot create the default configuration: ${describeFileError(error)}` }],
    { cause: error, hint: 'Fix the path or its permissions, or pass another file with -c/--config.' },
  );
}
