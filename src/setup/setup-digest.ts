/**
 * The digest of everything that decides what a setup run does: herd's version, every file of the
 * playbook tree that runs (and of the bundled roles on its roles path), the inventory and the
 * group/host vars beside it, the template but its cloud section (setup settings, extra vars,
 * ansible_command, kinds and their variables), Ansible's configuration files and `ANSIBLE_*`
 * environment, the installed ansible-core and collections (ansible-install.ts), and each node's
 * name, instance, address and host key. A finished run records it
 * on every node; a later run whose digest every node holds has nothing to do.
 *
 * It is an HMAC keyed with the cluster's private key, which never leaves the controller: the
 * inputs include secrets (a become password, a database password in extra vars), and a plain hash
 * of a short secret could be found by trying candidates against a copy of the file.
 */
import { createHmac } from 'node:crypto';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Template } from '../config/types.js';
import type { ClusterState } from '../state/types.js';
import { describeAnsibleInstall } from './ansible-install.js';

/** Where each node keeps the digest of the last fully successful run (root only). */
export const SETUP_DIGEST_PATH = '/var/lib/herd/setup-digest';

/** A tree larger than this is not read: the run is not skipped (reading it would cost more than it saves). */
const MAX_FILES = 5000;
const MAX_BYTES = 64 * 1024 * 1024;

/** What the digest covers besides the cluster's state and template. */
export interface DigestContext {
  /** herd's version (package.json). */
  readonly herdVersion: string;
  /** The bundled playbooks directory (its roles are on every run's roles path). */
  readonly playbooksDir: string;
  /** The user's environment: `ANSIBLE_*` variables and where Ansible looks for its configuration. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory (Ansible reads `./ansible.cfg`). */
  readonly cwd: string;
}

/**
 * The hex digest of a run of `template` on `state`'s ready nodes, or undefined when it cannot be
 * made with confidence (a tree too large, a file that cannot be read): such a run is never skipped.
 */
export async function setupDigest(
  state: ClusterState,
  template: Template,
  context: DigestContext,
): Promise<string | undefined> {
  try {
    const hmac = createHmac('sha256', await readFile(state.paths.privateKey));
    const add = (label: string, value: string | Buffer) => {
      hmac.update(`${label}\0${Buffer.byteLength(value)}\0`);
      hmac.update(value);
    };
    add('herd', context.herdVersion);
    add('template', canonicalJson(digestedTemplate(template)));
    const nodes = state.nodes
      .filter((n) => n.state === 'ready')
      .map((n) => [n.name, n.kind, n.instanceId ?? '', n.preferredIp ?? '', n.hostKey ?? '']);
    add('nodes', JSON.stringify(nodes.sort((a, b) => a[0]!.localeCompare(b[0]!))));
    add('inventory', await readFile(state.paths.inventory));
    const inventoryDir = dirname(state.paths.inventory);
    const trees = [
      dirname(template.setup.playbookPath),
      context.playbooksDir,
      join(inventoryDir, 'group_vars'),
      join(inventoryDir, 'host_vars'),
    ];
    const budget = { files: MAX_FILES, bytes: MAX_BYTES };
    for (const tree of trees.filter((t, i) => trees.indexOf(t) === i)) {
      if (!(await addTree(add, tree, budget))) return undefined;
    }
    for (const file of ansibleConfigFiles(context)) add(`config ${file}`, await readOptional(file));
    for (const key of Object.keys(context.env).sort()) {
      if (key.startsWith('ANSIBLE_')) add(`env ${key}`, context.env[key] ?? '');
    }
    const ansible = { command: template.setup.ansibleCommand, env: context.env, cwd: context.cwd };
    for (const [label, value] of await describeAnsibleInstall(ansible)) add(label, value);
    return hmac.digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * The template as far as it decides a run: not the cloud section (credentials, placement), nor the
 * kinds' node counts (the inventory lists the nodes; resize runs with the counts it started from).
 */
export function digestedTemplate(template: Template): object {
  const { cloud: _cloud, kinds, ...rest } = template;
  return { ...rest, kinds: kinds.map(({ count: _count, min: _min, ...kind }) => kind) };
}

/** Ansible's configuration files in the order it looks for them (each counts, whether it exists or not). */
function ansibleConfigFiles(context: DigestContext): string[] {
  const named = context.env['ANSIBLE_CONFIG'];
  return [
    ...(named ? [resolve(context.cwd, named)] : []),
    join(context.cwd, 'ansible.cfg'),
    join(context.env['HOME'] ?? homedir(), '.ansible.cfg'),
    '/etc/ansible/ansible.cfg',
  ];
}

/** A file's content, or a marker when it does not exist. */
async function readOptional(path: string): Promise<string | Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '\0missing';
    throw error;
  }
}

/**
 * Adds every file under `root` (sorted, `.git` left out, symlinks followed once) with its path
 * relative to `root`; a missing root counts as absent. False when the tree is over the budget.
 */
async function addTree(
  add: (label: string, value: string | Buffer) => void,
  root: string,
  budget: { files: number; bytes: number },
): Promise<boolean> {
  if (!(await lstat(root).catch(() => undefined))) {
    add(`tree ${root}`, '\0missing');
    return true;
  }
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<boolean> => {
    const real = await realpath(dir);
    if (seen.has(real)) return true;
    seen.add(real);
    const entries = (await readdir(dir)).filter((e) => e !== '.git').sort();
    for (const entry of entries) {
      const path = join(dir, entry);
      const info = await stat(path);
      if (info.isDirectory()) {
        if (!(await walk(path))) return false;
      } else if (info.isFile()) {
        budget.files -= 1;
        budget.bytes -= info.size;
        if (budget.files < 0 || budget.bytes < 0) return false;
        add(`file ${root}:${relative(root, path)}`, await readFile(path));
      }
    }
    return true;
  };
  return walk(root);
}

/** JSON with object keys sorted, so that the same template always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v instanceof Map
        ? Object.fromEntries([...v.entries()].sort())
        : v,
  );
}
