/**
 * Keystone v3 (Identity API reference, "Password authentication with scoped authorization",
 * "Authenticating with an Application Credential"): `POST /v3/auth/tokens` answers 201 with the token
 * in `X-Subject-Token` and a body holding `expires_at`, the user, the project and the service catalog
 * (every service pointing back at the fake, per interface and region). Version documents for discovery.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { FakeApiError } from './errors.js';
import type { Route, RouteContext, TokenRecord } from './routes.js';
import type { FakeOpenStackOptions } from './types.js';

interface User {
  id: string;
  name: string;
  password: string;
  domainId: string;
}

interface Project {
  id: string;
  name: string;
  domainId: string;
}

const DOMAINS = [{ id: 'default', name: 'Default' }];

/** Users, projects, application credentials and tokens. */
export class Keystone {
  readonly users: User[];
  readonly projects: Project[];
  readonly tokens = new Map<string, TokenRecord>();
  /** Tokens issued, by auth method (tests check reuse and renewal). */
  issued: Record<string, number> = {};

  constructor(private readonly options: FakeOpenStackOptions) {
    this.users = (options.users ?? [{ name: 'herd', password: 'secret' }]).map((u) => ({
      id: u.id ?? randomUUID().replaceAll('-', ''),
      name: u.name,
      password: u.password,
      domainId: u.domainId ?? 'default',
    }));
    this.projects = (options.projects ?? [{ name: 'herd-project' }]).map((p) => ({
      id: p.id ?? randomUUID().replaceAll('-', ''),
      name: p.name,
      domainId: p.domainId ?? 'default',
    }));
  }

  /** The token of a request, or a 401 as keystonemiddleware answers. */
  validate(token: string | undefined): TokenRecord {
    const record = token ? this.tokens.get(token) : undefined;
    if (!record || record.expiresAt <= Date.now()) {
      throw new FakeApiError(401, 'The request you have made requires authentication.');
    }
    return record;
  }

  /** Makes every token expire now (a revoked or expired token). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = 0;
  }

  routes(catalog: (base: string, projectId: string) => unknown[]): Route[] {
    const versionDoc = (base: string) => ({
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${base}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    });
    return [
      {
        name: 'identity.versions',
        method: 'GET',
        pattern: /^\/$/,
        open: true,
        handle: (ctx) => ({ status: 300, body: { versions: { values: [versionDoc(ctx.base)] } } }),
      },
      {
        name: 'identity.version',
        method: 'GET',
        pattern: /^\/v3\/?$/,
        open: true,
        handle: (ctx) => ({ status: 200, body: { version: versionDoc(ctx.base) } }),
      },
      {
        name: 'identity.tokens.issue',
        method: 'POST',
        pattern: /^\/v3\/auth\/tokens$/,
        open: true,
        handle: (ctx) => this.issue(ctx, catalog),
      },
      {
        name: 'identity.tokens.validate',
        method: 'GET',
        pattern: /^\/v3\/auth\/tokens$/,
        handle: (ctx) => {
          const subject = String(ctx.headers['x-subject-token'] ?? '');
          const record = this.validate(subject);
          return {
            status: 200,
            body: this.tokenBody(record, ['password'], ctx.base, catalog),
            headers: { 'x-subject-token': subject },
          };
        },
      },
    ];
  }

  private issue(ctx: RouteContext, catalog: (base: string, projectId: string) => unknown[]) {
    const identity = ctx.body?.auth?.identity;
    const methods: unknown = identity?.methods;
    if (!Array.isArray(methods) || methods.length === 0) {
      throw new FakeApiError(400, "Invalid input for field 'identity': 'methods' is a required property");
    }
    let user: User | undefined;
    let project: Project | undefined;
    if (methods[0] === 'password') {
      const u = identity.password?.user;
      if (!u || typeof u.password !== 'string')
        throw new FakeApiError(400, "Invalid input for field 'password': 'user' is a required property");
      user = this.findUser(u);
      if (!user || user.password !== u.password) throw unauthorized();
      const scope = ctx.body.auth.scope;
      if (scope !== undefined) {
        if (!scope.project) throw new FakeApiError(400, 'Only project scope is supported by this fake.');
        project = this.findProject(scope.project);
        if (!project) throw unauthorized();
      }
    } else if (methods[0] === 'application_credential') {
      const c = identity.application_credential ?? {};
      if (typeof c.secret !== 'string')
        throw new FakeApiError(
          400,
          "Invalid input for field 'application_credential': 'secret' is a required property",
        );
      const cred = (this.options.applicationCredentials ?? []).find((a) =>
        c.id ? a.id === c.id : a.name === c.name && this.findUser(c.user ?? {})?.name === a.user,
      );
      if (!cred || cred.secret !== c.secret) throw unauthorized();
      if (ctx.body.auth.scope !== undefined)
        throw new FakeApiError(401, 'Application credentials cannot request a scope.');
      user = this.users.find((u) => u.name === cred.user);
      project = this.projects.find((p) => p.name === cred.project);
    } else {
      throw new FakeApiError(
        401,
        `Attempted to authenticate with an unsupported method: ${String(methods[0])}`,
      );
    }
    const value = `gAAAAA${randomBytes(24).toString('base64url')}`;
    const record: TokenRecord = {
      userId: user!.id,
      userName: user!.name,
      projectId: project?.id,
      expiresAt: Date.now() + (this.options.tokenTtlMs ?? 3_600_000),
    };
    this.tokens.set(value, record);
    this.issued[methods[0]] = (this.issued[methods[0]] ?? 0) + 1;
    return {
      status: 201,
      body: this.tokenBody(record, methods as string[], ctx.base, catalog),
      headers: { 'x-subject-token': value },
    };
  }

  private tokenBody(
    record: TokenRecord,
    methods: string[],
    base: string,
    catalog: (base: string, projectId: string) => unknown[],
  ) {
    const user = this.users.find((u) => u.id === record.userId)!;
    const project = this.projects.find((p) => p.id === record.projectId);
    const domain = (id: string) => DOMAINS.find((d) => d.id === id) ?? { id, name: id };
    return {
      token: {
        methods,
        user: { id: user.id, name: user.name, domain: domain(user.domainId), password_expires_at: null },
        audit_ids: [randomBytes(16).toString('base64url')],
        expires_at: new Date(record.expiresAt).toISOString().replace(/Z$/, '000Z'),
        issued_at: new Date().toISOString().replace(/Z$/, '000Z'),
        ...(project
          ? {
              project: { id: project.id, name: project.name, domain: domain(project.domainId) },
              is_domain: false,
              roles: [
                { id: 'member-role', name: 'member' },
                { id: 'reader-role', name: 'reader' },
              ],
              catalog: catalog(base, project.id),
            }
          : {}),
      },
    };
  }

  private findUser(u: {
    id?: string;
    name?: string;
    domain?: { id?: string; name?: string };
  }): User | undefined {
    if (u.id) return this.users.find((x) => x.id === u.id);
    const domainId = this.domainId(u.domain);
    return this.users.find((x) => x.name === u.name && x.domainId === domainId);
  }

  private findProject(p: {
    id?: string;
    name?: string;
    domain?: { id?: string; name?: string };
  }): Project | undefined {
    if (p.id) return this.projects.find((x) => x.id === p.id);
    const domainId = this.domainId(p.domain);
    return this.projects.find((x) => x.name === p.name && x.domainId === domainId);
  }

  /** A name without a domain is a 400 in Keystone; a domain by name is matched exactly. */
  private domainId(domain: { id?: string; name?: string } | undefined): string {
    if (!domain)
      throw new FakeApiError(
        400,
        'Expecting to find domain in user. The server could not comply with the request since it is either malformed or otherwise incorrect.',
      );
    if (domain.id) return domain.id;
    const found = DOMAINS.find((d) => d.name === domain.name);
    if (!found) throw unauthorized();
    return found.id;
  }
}

function unauthorized(): FakeApiError {
  return new FakeApiError(401, 'The request you have made requires authentication.');
}
