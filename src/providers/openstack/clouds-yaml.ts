/**
 * `clouds.yaml`, read as the openstack CLI reads it: the file named by OS_CLIENT_CONFIG_FILE, else the
 * first of ./clouds.yaml, ~/.config/openstack/clouds.yaml (XDG_CONFIG_HOME) and
 * /etc/openstack/clouds.yaml; `secure.yaml` beside it adds secrets. An entry's `auth` keys and its
 * top-level keys (region_name, interface, cacert, verify, ...) become herd's cloud keys.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ProviderError } from '../../errors.js';

/** One clouds.yaml entry as flat herd cloud keys, and where it came from. */
export interface CloudsYamlEntry {
  /** The file the entry was read from (secure.yaml may have added keys). */
  file: string;
  name: string;
  values: Record<string, string | boolean | number>;
}

/** Where clouds.yaml may be, in the order the openstack CLI looks. */
export function cloudsYamlCandidates(env: NodeJS.ProcessEnv, cwd: string): string[] {
  if (env['OS_CLIENT_CONFIG_FILE']) return [env['OS_CLIENT_CONFIG_FILE']];
  const home = env['HOME'] || homedir();
  const xdg = env['XDG_CONFIG_HOME'] || join(home, '.config');
  return [join(cwd, 'clouds.yaml'), join(xdg, 'openstack', 'clouds.yaml'), '/etc/openstack/clouds.yaml'];
}

async function readYaml(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ProviderError('OpenStackCloudsYamlUnreadable', `Cannot read ${file}: ${String(error)}`, {
      hint: 'Make the file readable by the user running herd, or point OS_CLIENT_CONFIG_FILE at another file.',
    });
  }
  const { parse } = await import('yaml');
  try {
    return parse(text) as unknown;
  } catch (error) {
    throw new ProviderError(
      'OpenStackCloudsYamlInvalid',
      `${file} is not valid YAML: ${(error as Error).message}`,
      {
        hint: 'Fix the file (the openstack CLI reads the same file), or name another with OS_CLIENT_CONFIG_FILE.',
      },
    );
  }
}

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = isTree(v) && isTree(out[k]) ? merge(out[k], v) : v;
  return out;
}

/** Keys of an entry's top level that herd reads, besides `auth`. */
const TOP_LEVEL = [
  'region_name',
  'interface',
  'cacert',
  'auth_type',
  'identity_api_version',
  'compute_api_version',
] as const;

/** Reads entry `name`; throws a ProviderError naming the files searched and the entries found. */
export async function readCloudsYaml(
  name: string,
  options: { env: NodeJS.ProcessEnv; cwd: string; section: string },
): Promise<CloudsYamlEntry> {
  const candidates = cloudsYamlCandidates(options.env, options.cwd);
  for (const file of candidates) {
    const doc = await readYaml(file);
    if (doc === undefined) continue;
    const secure = await readYaml(join(dirname(file), 'secure.yaml'));
    const clouds = merge(
      isTree(doc) && isTree(doc['clouds']) ? doc['clouds'] : {},
      isTree(secure) && isTree(secure['clouds']) ? secure['clouds'] : {},
    );
    const entry = clouds[name];
    if (!isTree(entry)) {
      const known = Object.keys(clouds);
      throw new ProviderError(
        'OpenStackCloudNotFound',
        `[${options.section}] cloud=${name}: ${file} has no entry "${name}"${known.length ? ` (it has: ${known.join(', ')})` : ''}.`,
        { hint: `Set cloud= (or OS_CLOUD) to one of the entries under "clouds:" in ${file}.` },
      );
    }
    if (entry['profile'] !== undefined) {
      throw new ProviderError(
        'OpenStackCloudsYamlProfile',
        `[${options.section}] cloud=${name}: the entry uses profile=${String(entry['profile'])}, which herd does not read (vendor profiles need clouds-public.yaml).`,
        { hint: `Write the profile's auth_url and region_name into the "${name}" entry of ${file} instead.` },
      );
    }
    const values: CloudsYamlEntry['values'] = {};
    const auth = isTree(entry['auth']) ? entry['auth'] : {};
    for (const [k, v] of Object.entries(auth)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[k] = v;
    }
    if (values['tenant_name'] !== undefined && values['project_name'] === undefined)
      values['project_name'] = values['tenant_name'];
    for (const key of TOP_LEVEL) {
      const v = entry[key];
      if (typeof v === 'string' || typeof v === 'number') values[key] = String(v);
    }
    if (typeof entry['verify'] === 'boolean') values['insecure'] = !entry['verify'];
    if (typeof entry['verify'] === 'string') values['cacert'] = entry['verify'];
    if (
      values['region_name'] === undefined &&
      Array.isArray(entry['regions']) &&
      entry['regions'].length > 0
    ) {
      const first = entry['regions'][0];
      const region = isTree(first) ? first['name'] : first;
      if (typeof region === 'string') values['region_name'] = region;
    }
    return { file, name, values };
  }
  throw new ProviderError(
    'OpenStackCloudsYamlMissing',
    `[${options.section}] cloud=${name}: no clouds.yaml found (looked at ${candidates.join(', ')}).`,
    {
      hint: 'Download clouds.yaml from your cloud dashboard (API Access) into ~/.config/openstack/, or set auth_url, username, password and project_name in the cloud section instead of cloud=.',
    },
  );
}
