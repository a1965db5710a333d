/**
 * Keystone v3 authentication: the token request body (password with user and project by name or id
 * and their domains, or an application credential), the auth URL forms users write, and the token's
 * service catalog, from which every other endpoint is taken.
 */

/** A user or project reference: by id, or by name within a domain. */
export type Named = { id: string } | { name: string; domain: { id: string } | { name: string } };

/** How herd authenticates (secrets included: never log or persist). */
export type AuthSettings =
  | {
      authUrl: string;
      method: 'password';
      user: { id?: string; name?: string; domain: { id: string } | { name: string } };
      password: string;
      project: Named;
    }
  | {
      authUrl: string;
      method: 'application_credential';
      applicationCredential:
        | { id: string; secret: string }
        | {
            name: string;
            user: { id?: string; name?: string; domain: { id: string } | { name: string } };
            secret: string;
          };
    };

/**
 * The Keystone v3 base URL of what users write: `https://ks:5000`, `https://ks:5000/v3`,
 * `https://ks/identity` (a path prefix) or an old `.../v2.0` URL (v2.0 is gone; its host serves v3).
 */
export function normalizeAuthUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL; write e.g. https://keystone.example.org:5000/v3`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`"${value}" must start with https:// (or http://)`);
  const path = url.pathname
    .replace(/\/+$/, '')
    .replace(/\/v2\.0$/, '')
    .replace(/\/v3$/, '');
  return `${url.origin}${path}/v3`;
}

function userRef(user: { id?: string; name?: string; domain: { id: string } | { name: string } }) {
  return user.id ? { id: user.id } : { name: user.name, domain: user.domain };
}

/** The body of `POST /v3/auth/tokens`. */
export function tokenRequestBody(auth: AuthSettings): unknown {
  if (auth.method === 'application_credential') {
    const cred = auth.applicationCredential;
    return {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential:
            'id' in cred
              ? { id: cred.id, secret: cred.secret }
              : { name: cred.name, user: userRef(cred.user), secret: cred.secret },
        },
      },
    };
  }
  return {
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { ...userRef(auth.user), password: auth.password } },
      },
      scope: { project: 'id' in auth.project ? { id: auth.project.id } : auth.project },
    },
  };
}

/** One endpoint of the catalog. */
export interface CatalogEndpoint {
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

/** One service of the catalog. */
export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

/** What herd keeps of a token (the token itself is the X-Subject-Token header). */
export interface TokenInfo {
  /** Epoch milliseconds. */
  expiresAt: number;
  projectId: string | undefined;
  projectName: string | undefined;
  userId: string | undefined;
  catalog: CatalogService[];
}

/** Reads the body Keystone answers a token request with. */
export function parseTokenBody(body: unknown): TokenInfo {
  const token = (body as { token?: Record<string, unknown> } | undefined)?.token ?? {};
  const project = token['project'] as { id?: string; name?: string } | undefined;
  const user = token['user'] as { id?: string } | undefined;
  const expires = Date.parse(String(token['expires_at'] ?? ''));
  return {
    expiresAt: Number.isFinite(expires) ? expires : Date.now() + 3_600_000,
    projectId: project?.id,
    projectName: project?.name,
    userId: user?.id,
    catalog: Array.isArray(token['catalog']) ? (token['catalog'] as CatalogService[]) : [],
  };
}

/** Catalog types of the services herd calls, in the order they are looked for. */
export const SERVICE_TYPES = {
  compute: ['compute'],
  network: ['network'],
  image: ['image'],
  volume: ['block-storage', 'volumev3', 'volume'],
} as const;

/** A service herd calls. */
export type ServiceName = keyof typeof SERVICE_TYPES;

/**
 * The endpoint URL of `service` for `iface` (public, internal, admin) in `region` (any region when
 * unset), or a message saying what the catalog offers instead.
 */
export function findEndpoint(
  catalog: readonly CatalogService[],
  service: ServiceName,
  iface: string,
  region: string | undefined,
): { url: string } | { problem: string } {
  const entries = catalog.filter((s) => (SERVICE_TYPES[service] as readonly string[]).includes(s.type));
  if (entries.length === 0) {
    return {
      problem: `the service catalog has no ${service} service (types: ${catalog.map((s) => s.type).join(', ') || 'none'})`,
    };
  }
  const all = entries.flatMap((s) => s.endpoints);
  const regionOf = (e: CatalogEndpoint) => e.region_id ?? e.region ?? undefined;
  const hit = all.find((e) => e.interface === iface && (region === undefined || regionOf(e) === region));
  if (hit) return { url: hit.url.replace(/\/+$/, '') };
  const offered = [...new Set(all.map((e) => `${e.interface}${regionOf(e) ? ` in ${regionOf(e)}` : ''}`))];
  return {
    problem: `the ${service} service has no ${iface} endpoint${region ? ` in region ${region}` : ''} (it has: ${offered.join(', ')})`,
  };
}
