/**
 * OpenStack settings in herd's terms. Cloud keys come, highest first, from the cloud section, the OS_*
 * variables (the config stage already filled unset keys from them) and a clouds.yaml entry (`cloud=`
 * or OS_CLOUD), which is the order the openstack CLI applies. Every missing credential is reported at
 * once, naming the key, the variable and the clouds.yaml entry that could supply it.
 */
import type { CloudSection, ConfigValue, NodeSettings } from '../../config/types.js';
import { ConfigError, type ConfigProblem, ProviderError } from '../../errors.js';
import { type AuthSettings, normalizeAuthUrl } from './auth.js';
import { type CloudsYamlEntry, readCloudsYaml } from './clouds-yaml.js';

/** Cloud-wide OpenStack settings. */
export interface OpenStackCloudSettings {
  /** `cloud/NAME`, for messages. */
  section: string;
  /** The clouds.yaml entry read, if any (for messages). */
  cloudsYaml: { file: string; name: string } | undefined;
  auth: AuthSettings;
  region: string | undefined;
  interface: 'public' | 'internal' | 'admin';
  cacert: string | undefined;
  insecure: boolean;
  /** `availability_zone`, split: a failover order; empty = Nova's default zone. */
  availabilityZones: readonly string[];
  /** `compute_api_version=2.N`: the highest microversion herd may ask for. */
  computeVersionCap: string | undefined;
  requestFloatingIp: boolean;
  floatingNetwork: string | undefined;
  antiAffinity: boolean;
  buildTimeoutMs: number;
  sshCidr: string;
}

/** What one kind's servers are created with. */
export interface OpenStackKindSettings {
  image: string;
  flavor: string;
  /** `security_group` names or ids; empty = herd's own group. */
  securityGroups: readonly string[];
  userdata: string | undefined;
  /** `network_ids`: alternatives in failover order, each the networks every server attaches to. */
  networkChoices: readonly (readonly string[])[];
  /** The kind's zones (its own availability_zone, else the cloud's). */
  availabilityZones: readonly string[];
  bootDisk: { sizeGiB: number; type: string | undefined } | undefined;
  requestFloatingIp: boolean;
  floatingNetwork: string | undefined;
}

function str(value: ConfigValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

/** Splits a comma list, dropping blanks and repeats. */
export function splitList(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/** `network_ids`: "a,b|c" = attach a and b, or else c. */
export function parseNetworkChoices(value: string | undefined): string[][] {
  return (value ?? '')
    .split('|')
    .map((choice) => splitList(choice))
    .filter((choice) => choice.length > 0);
}

/** Options for reading the cloud settings (tests replace where clouds.yaml is looked for). */
export interface ReadCloudOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Reads `[cloud/NAME] provider=openstack` plus its clouds.yaml entry; every problem at once. */
export async function readOpenStackCloudSettings(
  cloud: CloudSection,
  options: ReadCloudOptions = {},
): Promise<OpenStackCloudSettings> {
  const section = `cloud/${cloud.name}`;
  const own = cloud.settings;
  const entryName = str(own['cloud']);
  const entry = entryName
    ? await readCloudsYaml(entryName, {
        env: options.env ?? process.env,
        cwd: options.cwd ?? process.cwd(),
        section,
      })
    : undefined;
  const keys = cloudKeys(section, own, entry);
  const { get, problems } = keys;

  const identityVersion = get('identity_api_version');
  if (identityVersion && identityVersion !== '3') {
    problems.push({
      section,
      key: 'identity_api_version',
      message: `Keystone v${identityVersion} was removed from OpenStack in 2018; set identity_api_version=3 (herd speaks Keystone v3)`,
    });
  }
  const auth = readAuth(keys, readAuthUrl(keys));
  const computeVersion = get('compute_api_version');
  const zones = splitList(get('availability_zone'));
  if (problems.length > 0) throw new ConfigError(problems);
  const insecure = own['insecure'] ?? entry?.values['insecure'];
  return {
    section,
    cloudsYaml: entry ? { file: entry.file, name: entry.name } : undefined,
    auth,
    region: get('region_name'),
    interface: readInterface(section, get('interface')),
    cacert: get('cacert'),
    insecure: insecure === true,
    availabilityZones: zones,
    computeVersionCap: computeVersion && /^2\.\d+$/.test(computeVersion) ? computeVersion : undefined,
    requestFloatingIp: own['request_floating_ip'] === true,
    floatingNetwork: str(own['floating_network_id']),
    antiAffinity: own['use_anti_affinity_groups'] === true,
    buildTimeoutMs: (typeof own['build_timeout'] === 'number' ? own['build_timeout'] : 600) * 1000,
    sshCidr: str(own['ssh_cidr']) ?? '0.0.0.0/0',
  };
}

/** The cloud keys as the steps below read them, and the problems they collect. */
interface CloudKeys {
  /** A key's value: the section's, else the clouds.yaml entry's. */
  get: (key: string) => string | undefined;
  /** Records a missing key, saying where it could be set. */
  missing: (key: string, env: string, what: string) => void;
  problems: ConfigProblem[];
  section: string;
}

function cloudKeys(
  section: string,
  own: CloudSection['settings'],
  entry: CloudsYamlEntry | undefined,
): CloudKeys {
  const problems: ConfigProblem[] = [];
  const where = (key: string, env: string) =>
    `set ${key} in [${section}], export ${env}${entry ? `, or add it to the "${entry.name}" entry of ${entry.file}` : ', or name a clouds.yaml entry with cloud= (or OS_CLOUD)'}`;
  return {
    get: (key) => str(own[key]) ?? str(entry?.values[key]),
    missing: (key, env, what) => {
      problems.push({ section, key, message: `missing: ${what}; ${where(key, env)}` });
    },
    problems,
    section,
  };
}

/** auth_url, normalized to its /v3 form; undefined (with a problem) when missing or malformed. */
function readAuthUrl({ get, missing, problems, section }: CloudKeys): string | undefined {
  const authUrl = get('auth_url');
  if (!authUrl) {
    missing('auth_url', 'OS_AUTH_URL', 'the Keystone URL, e.g. https://keystone.example.org:5000/v3');
    return undefined;
  }
  try {
    return normalizeAuthUrl(authUrl);
  } catch (error) {
    problems.push({ section, key: 'auth_url', message: (error as Error).message });
    return authUrl;
  }
}

/** An application credential (auth_type, or an application_credential_* key), else user and password. */
function readAuth(keys: CloudKeys, authUrl: string | undefined): AuthSettings {
  const { get, missing } = keys;
  const appCredId = get('application_credential_id');
  const appCredName = get('application_credential_name');
  const authType = get('auth_type');
  const useAppCred =
    authType === 'v3applicationcredential' ||
    authType === 'application_credential' ||
    (authType === undefined && (appCredId !== undefined || appCredName !== undefined));
  const user = {
    ...(get('user_id') ? { id: get('user_id')! } : {}),
    ...(get('username') ? { name: get('username')! } : {}),
    domain: domainOf(get('user_domain_id'), get('user_domain_name')),
  };
  if (!useAppCred) return passwordAuth(keys, authUrl ?? '', user);
  const secret = get('application_credential_secret');
  if (!secret)
    missing(
      'application_credential_secret',
      'OS_APPLICATION_CREDENTIAL_SECRET',
      'the application credential secret',
    );
  if (!appCredId && !appCredName)
    missing('application_credential_id', 'OS_APPLICATION_CREDENTIAL_ID', 'the application credential id');
  if (!appCredId && appCredName && !user.id && !user.name)
    missing(
      'username',
      'OS_USERNAME',
      'an application credential given by name needs its user (username or user_id)',
    );
  return {
    authUrl: authUrl ?? '',
    method: 'application_credential',
    applicationCredential: {
      ...(appCredId ? { id: appCredId } : { name: appCredName ?? '', user }),
      secret: secret ?? '',
    },
  };
}

function passwordAuth(
  { get, missing }: CloudKeys,
  authUrl: string,
  user: { id?: string; name?: string; domain: { id: string } | { name: string } },
): AuthSettings {
  if (!user.id && !user.name) missing('username', 'OS_USERNAME', 'the OpenStack user name (or user_id)');
  const password = get('password');
  if (!password) missing('password', 'OS_PASSWORD', "the user's password");
  const projectId = get('project_id');
  const projectName = get('project_name');
  if (!projectId && !projectName)
    missing('project_name', 'OS_PROJECT_NAME', 'the project (tenant) to create nodes in (or project_id)');
  return {
    authUrl,
    method: 'password',
    user,
    password: password ?? '',
    project: projectId
      ? { id: projectId }
      : { name: projectName ?? '', domain: domainOf(get('project_domain_id'), get('project_domain_name')) },
  };
}

/** `interface` (publicURL, the old spelling, is public). */
function readInterface(section: string, value: string | undefined): OpenStackCloudSettings['interface'] {
  const iface = (value ?? 'public').replace(/URL$/, '');
  if (iface !== 'public' && iface !== 'internal' && iface !== 'admin') {
    throw new ConfigError([
      { section, key: 'interface', message: `"${iface}" is not an interface; use public, internal or admin` },
    ]);
  }
  return iface;
}

function domainOf(id: string | undefined, name: string | undefined): { id: string } | { name: string } {
  if (id) return { id };
  if (name) return { name };
  // What keystoneauth does when no domain is given (OS_DEFAULT_DOMAIN's default).
  return { id: 'default' };
}

/** Reads a kind's node settings; `where` names the template and kind in messages. */
export function readOpenStackKindSettings(
  settings: Readonly<NodeSettings>,
  cloud: OpenStackCloudSettings,
  where: { template: string; kind: string },
): OpenStackKindSettings {
  const section = `[cluster/${where.template}]`;
  const image = str(settings.image_id);
  const flavor = str(settings.flavor);
  for (const [key, value, example] of [
    ['image_id', image, 'an image name or id from "openstack image list"'],
    ['flavor', flavor, 'a flavor name or id from "openstack flavor list"'],
  ] as const) {
    if (!value) {
      throw new ProviderError(
        'OpenStackSettingMissing',
        `${section} ${key} is not set for kind ${where.kind}.`,
        {
          hint: `Set ${key} in ${section} or [cluster/${where.template}/${where.kind}]: ${example}.`,
        },
      );
    }
  }
  const size = settings['boot_disk_size'];
  const type = str(settings['boot_disk_type']);
  if (type && typeof size !== 'number') {
    throw new ProviderError(
      'OpenStackSettingMissing',
      `${section} boot_disk_type=${type} (kind ${where.kind}) needs boot_disk_size: herd boots from a volume only when it knows its size.`,
      {
        hint: `Add boot_disk_size=<GiB> to ${section} or [cluster/${where.template}/${where.kind}], or remove boot_disk_type.`,
      },
    );
  }
  const ownZones = splitList(str(settings['availability_zone']));
  const floating = settings['request_floating_ip'];
  return {
    image: image!,
    flavor: flavor!,
    securityGroups: splitList(str(settings.security_group)),
    userdata:
      typeof settings.image_userdata === 'string' && settings.image_userdata !== ''
        ? settings.image_userdata
        : undefined,
    networkChoices: parseNetworkChoices(str(settings.network_ids)),
    availabilityZones: ownZones.length > 0 ? ownZones : cloud.availabilityZones,
    bootDisk: typeof size === 'number' ? { sizeGiB: size, type } : undefined,
    requestFloatingIp: typeof floating === 'boolean' ? floating : cloud.requestFloatingIp,
    floatingNetwork: str(settings['floating_network_id']) ?? cloud.floatingNetwork,
  };
}
