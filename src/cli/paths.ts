import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package root (holds playbooks/ and config-templates/), found from this file's location. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Bundled playbooks directory (`%(herd_playbooks)s`). */
export const playbooksDir = join(packageRoot, 'playbooks');

/** The commented default configuration copied on first use. */
export const defaultConfigTemplate = join(packageRoot, 'config-templates', 'config');

/** Default config file and storage directory (`~/.herd/...`). */
export function defaultPaths(env: NodeJS.ProcessEnv = process.env): { config: string; storage: string } {
  const home = env['HOME'] || homedir();
  return { config: join(home, '.herd', 'config'), storage: join(home, '.herd', 'storage') };
}
