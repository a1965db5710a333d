/** File paths in config values: `~` is the home directory, relative paths are relative to the config file. */
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Absolute path of a path written in `file`. */
export function resolveConfigPath(value: string, file: string, home: string): string {
  if (value === '~') return home;
  if (value.startsWith('~/')) return join(home, value.slice(2));
  return isAbsolute(value) ? value : resolve(dirname(file), value);
}
