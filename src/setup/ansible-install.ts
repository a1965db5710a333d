/**
 * What identifies the Ansible a setup runs, for the setup digest, read from files instead of
 * running `ansible-playbook --version` (0.3-0.5 s of Python start-up on every `herd setup`): the
 * `ansible-playbook` program (path, size, time, content: a new ansible-core replaces it), the
 * ansible-core version (`ansible/release.py`) and the installed collections (each one's
 * `MANIFEST.json` or `galaxy.yml`, which hold its version) in the Python site directories beside
 * the interpreter that program names, and in the collection paths (`ANSIBLE_COLLECTIONS_PATH` or
 * the defaults). A collections path set only in ansible.cfg is not read; the config file's content
 * is in the digest, though.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { splitShellWords } from '../config/shell-words.js';

/** Where to look, as the setup run would. */
export interface AnsibleInstallContext {
  /** The setup section's `ansible_command` (default `ansible-playbook`). */
  readonly command: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Labelled values that change when the Ansible installation does (missing things included, as markers). */
export async function describeAnsibleInstall(
  context: AnsibleInstallContext,
): Promise<[string, string | Buffer][]> {
  const entries: [string, string | Buffer][] = [];
  const home = context.env['HOME'] ?? homedir();
  const program = await findProgram(context);
  let sites: string[] = [];
  if (program === undefined) entries.push(['ansible program', '\0missing']);
  else {
    const info = await stat(program);
    const text = await readFile(program);
    entries.push([`ansible program ${await realpath(program)} ${info.size} ${info.mtimeMs}`, text]);
    const interpreter = await interpreterOf(text, context);
    if (interpreter !== undefined) sites = await siteDirectories(dirname(dirname(interpreter)), home);
  }
  for (const site of sites) {
    entries.push([`ansible-core ${site}`, await readOptional(join(site, 'ansible', 'release.py'))]);
  }
  const paths = context.env['ANSIBLE_COLLECTIONS_PATH'] ?? context.env['ANSIBLE_COLLECTIONS_PATHS'];
  const roots = paths
    ? paths
        .split(delimiter)
        .filter(Boolean)
        .map((p) => resolve(context.cwd, p.replace(/^~(?=\/|$)/, home)))
    : [join(home, '.ansible', 'collections'), '/usr/share/ansible/collections'];
  for (const root of [...roots, ...sites]) {
    const dir = basename(root) === 'ansible_collections' ? root : join(root, 'ansible_collections');
    for (const [name, text] of await collectionsIn(dir)) entries.push([`collection ${dir} ${name}`, text]);
  }
  return entries;
}

/** The program `ansible_command` runs: its first word, looked up on PATH unless it holds a slash. */
async function findProgram(context: AnsibleInstallContext): Promise<string | undefined> {
  const words = context.command ? splitShellWords(context.command) : ['ansible-playbook'];
  const name = typeof words === 'string' ? undefined : words[0];
  if (!name) return undefined;
  return findExecutable(name, context);
}

async function findExecutable(name: string, context: AnsibleInstallContext): Promise<string | undefined> {
  const candidates = name.includes('/')
    ? [resolve(context.cwd, name)]
    : (context.env['PATH'] ?? '')
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile() && (info.mode & 0o111) !== 0) return candidate;
  }
  return undefined;
}

/**
 * The interpreter a script's `#!` line names, unresolved (a virtualenv's `bin/python3` is a symlink
 * out of it): `#!/usr/bin/env python3` is looked up on PATH.
 */
async function interpreterOf(script: Buffer, context: AnsibleInstallContext): Promise<string | undefined> {
  const line = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(script.subarray(0, 256).toString('utf8'));
  if (!line) return undefined;
  if (basename(line[1]!) === 'env' && line[2]) return findExecutable(line[2], context);
  return line[1];
}

/** Python's site directories for an interpreter under `prefix`, and the user's own (pip --user). */
async function siteDirectories(prefix: string, home: string): Promise<string[]> {
  const found: string[] = [];
  for (const lib of [join(prefix, 'lib'), join(prefix, 'local', 'lib'), join(home, '.local', 'lib')]) {
    const versions = (await readdir(lib).catch(() => [] as string[]))
      .filter((n) => /^python3/.test(n))
      .sort();
    for (const version of versions) {
      for (const site of ['site-packages', 'dist-packages']) {
        const dir = join(lib, version, site);
        if (await stat(dir).catch(() => undefined)) found.push(dir);
      }
    }
  }
  return [...new Set(found)];
}

/** Each collection under an `ansible_collections` directory: `namespace.name` and its metadata file. */
async function collectionsIn(dir: string): Promise<[string, string | Buffer][]> {
  const found: [string, string | Buffer][] = [];
  for (const namespace of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const names = await readdir(join(dir, namespace)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const collection = join(dir, namespace, name);
      const manifest = await readOptional(join(collection, 'MANIFEST.json'));
      const metadata = manifest === MISSING ? await readOptional(join(collection, 'galaxy.yml')) : manifest;
      found.push([`${namespace}.${name}`, metadata]);
    }
  }
  return found;
}

const MISSING = '\0missing';

async function readOptional(path: string): Promise<string | Buffer> {
  try {
    return await readFile(path);
  } catch {
    return MISSING;
  }
}
