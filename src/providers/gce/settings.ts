/**
 * The `[cloud/NAME] provider=google` keys, typed: project, endpoint, network and the zone failover
 * list. The config stage validates them already; these checks keep the provider safe when it is
 * called directly and give the same kind of message.
 */
import type { CloudSection } from '../../config/types.js';
import { ConfigError, type ConfigProblem } from '../../errors.js';

/** Where the Compute Engine client sends its requests (`gce_api_endpoint`). */
export interface GceEndpoint {
  /** Host name or IP, without scheme or port. */
  apiEndpoint: string;
  port: number | undefined;
  protocol: 'http' | 'https';
}

/** The cloud section of a GCE cloud, typed. */
export interface GceCloudSettings {
  /** `[cloud/NAME]`, for messages. */
  section: string;
  project: string;
  /** undefined = the public API. */
  endpoint: GceEndpoint | undefined;
  /** `network`: a VPC network name or a full/partial URL. */
  network: string;
  /** `zone`, split: the first zone is tried first, the next ones when a zone has no capacity. */
  zones: readonly string[];
  /** `gce_client_id` was set: herd says once that it uses Application Default Credentials instead. */
  legacyOAuthClient: boolean;
}

/** Default zone (the schema's default, repeated for direct calls). */
export const DEFAULT_ZONE = 'us-central1-a';

const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
// Project ids: 6-30 characters; old domain-scoped ids look like `example.com:my-project`.
const PROJECT = /^([a-z0-9.-]+:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

/** Splits `zone` (a comma list) into zone names; throws a message for the first malformed one. */
export function parseZones(value: string): string[] {
  const zones = value
    .split(',')
    .map((z) => z.trim())
    .filter((z) => z !== '');
  if (zones.length === 0) throw new Error('no zone given; write e.g. zone=us-central1-a');
  for (const zone of zones) {
    if (!ZONE.test(zone)) {
      throw new Error(`"${zone}" is not a zone name; write zones like us-central1-a, separated by commas`);
    }
  }
  return [...new Set(zones)];
}

/**
 * `gce_api_endpoint` as client options: `http://127.0.0.1:8080` becomes
 * `{apiEndpoint: '127.0.0.1', port: 8080, protocol: 'http'}`. The client builds its own paths, so a
 * path in the URL cannot be honoured and is refused.
 */
export function parseEndpoint(value: string): GceEndpoint {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL; write e.g. https://compute.googleapis.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${value}" must start with http:// or https://`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new Error(
      `"${value}" has a path (${url.pathname}); give only scheme, host and port, e.g. https://compute.googleapis.com`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    apiEndpoint: host,
    port: url.port === '' ? undefined : Number(url.port),
    protocol: url.protocol === 'http:' ? 'http' : 'https',
  };
}

/** Reads the GCE keys of a `[cloud/NAME]` section; every problem at once in a ConfigError. */
export function readGceCloudSettings(cloud: CloudSection): GceCloudSettings {
  const section = `cloud/${cloud.name}`;
  const s = cloud.settings;
  const problems: ConfigProblem[] = [];
  const project = String(s['gce_project_id'] ?? '');
  if (!PROJECT.test(project)) {
    problems.push({
      section,
      key: 'gce_project_id',
      message:
        project === ''
          ? 'missing: set it to the id of the Google Cloud project to create nodes in'
          : `"${project}" is not a project id (6-30 lowercase letters, digits and "-", starting with a letter)`,
    });
  }
  let endpoint: GceEndpoint | undefined;
  const rawEndpoint = s['gce_api_endpoint'];
  if (rawEndpoint !== undefined && rawEndpoint !== '') {
    try {
      endpoint = parseEndpoint(String(rawEndpoint));
    } catch (error) {
      problems.push({ section, key: 'gce_api_endpoint', message: (error as Error).message });
    }
  }
  let zones: string[] = [];
  try {
    zones = parseZones(String(s['zone'] ?? DEFAULT_ZONE));
  } catch (error) {
    problems.push({ section, key: 'zone', message: (error as Error).message });
  }
  const network = String(s['network'] ?? 'default');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    section,
    project,
    endpoint,
    network,
    zones,
    legacyOAuthClient: s['gce_client_id'] !== undefined || s['gce_client_secret'] !== undefined,
  };
}

/** The region of a zone: `us-central1-a` -> `us-central1`. */
export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}
