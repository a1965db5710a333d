/**
 * Nova (Compute API v2.1 reference): servers (create, list with filters and pagination, show,
 * delete, os-stop/os-start), flavors, key pairs, server groups and availability zones, with
 * microversion negotiation (X-OpenStack-Nova-API-Version / OpenStack-API-Version) and the request
 * checks Nova makes for the fields herd and the openstack CLI send.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Flavor, KeyPair, ServerGroup } from './cloud.js';
import { FakeApiError, invalidInput } from './errors.js';
import { ok, paginate, queryValues, type Route, type RouteContext } from './routes.js';
import { validateServerCreate } from './validate-server.js';

/** Nova's minimum microversion. */
export const MIN_VERSION = '2.1';

/** Compares microversions `2.x`. */
export function versionCmp(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number) as [number, number];
  const [bm, bn] = b.split('.').map(Number) as [number, number];
  return am - bm || an - bn;
}

/** The microversion a request asks for (2.1 when it names none), or a 406 as Nova answers. */
export function requestedVersion(headers: RouteContext['headers'], max: string): string {
  const legacy = headers['x-openstack-nova-api-version'];
  const modern = headers['openstack-api-version'];
  let asked = typeof legacy === 'string' ? legacy.trim() : undefined;
  if (typeof modern === 'string') {
    const match = /(?:^|,)\s*compute\s+(\S+)/i.exec(modern);
    if (match) asked = match[1];
  }
  if (asked === undefined) return MIN_VERSION;
  if (asked === 'latest') return max;
  if (!/^\d+\.\d+$/.test(asked)) throw new FakeApiError(400, `Invalid API version request string ${asked}`);
  if (versionCmp(asked, MIN_VERSION) < 0 || versionCmp(asked, max) > 0) {
    throw new FakeApiError(
      406,
      `Version ${asked} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${max}.`,
    );
  }
  return asked;
}

const at = (ctx: RouteContext, v: string) => versionCmp(ctx.microversion, v) >= 0;

function fingerprint(publicKey: string): string {
  const parts = publicKey.trim().split(/\s+/);
  const blob = Buffer.from(parts[1] ?? '', 'base64');
  if (
    parts.length < 2 ||
    !/^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-dss)$/.test(parts[0]!) ||
    blob.length < 16
  ) {
    throw new FakeApiError(400, 'Keypair data is invalid: failed to generate fingerprint');
  }
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

/** The Nova routes of the fake. */
export function novaRoutes(maxVersion: () => string): Route[] {
  const versionDoc = (ctx: RouteContext) => ({
    id: 'v2.1',
    status: 'CURRENT',
    version: maxVersion(),
    min_version: MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${ctx.base}/compute/v2.1/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  });
  const serverOf = (ctx: RouteContext, id: string) => {
    const stored = ctx.cloud.servers.get(id);
    if (!stored) throw new FakeApiError(404, `Instance ${id} could not be found.`);
    return stored;
  };
  const show = (ctx: RouteContext, json: Record<string, unknown>) => {
    const copy = structuredClone(json) as Record<string, unknown>;
    copy['links'] = [{ rel: 'self', href: `${ctx.base}/compute/v2.1/servers/${json['id']}` }];
    if (!at(ctx, '2.26')) delete copy['tags'];
    if (!at(ctx, '2.19')) delete copy['description'];
    if (!at(ctx, '2.47')) copy['flavor'] = { id: (json['flavor'] as { id: string }).id, links: [] };
    const stored = ctx.cloud.servers.get(String(json['id']));
    copy['security_groups'] = (stored?.request.securityGroups ?? []).map((g) => ({ name: g.name }));
    return copy;
  };
  const flavorJson = (ctx: RouteContext, f: Flavor) => ({
    id: f.id,
    name: f.name,
    vcpus: f.vcpus,
    ram: f.ram,
    disk: f.disk,
    'OS-FLV-EXT-DATA:ephemeral': 0,
    'OS-FLV-DISABLED:disabled': false,
    swap: '',
    rxtx_factor: 1.0,
    'os-flavor-access:is_public': true,
    ...(at(ctx, '2.55') ? { description: null } : {}),
    links: [{ rel: 'self', href: `${ctx.base}/compute/v2.1/flavors/${f.id}` }],
  });
  const keyPairJson = (ctx: RouteContext, k: KeyPair, full: boolean) => ({
    name: k.name,
    public_key: k.public_key,
    fingerprint: k.fingerprint,
    ...(at(ctx, '2.2') ? { type: k.type } : {}),
    ...(full
      ? {
          user_id: k.user_id,
          created_at: k.created_at,
          deleted: false,
          deleted_at: null,
          updated_at: null,
          id: 1,
        }
      : {}),
  });
  const groupJson = (ctx: RouteContext, g: ServerGroup) => ({
    id: g.id,
    name: g.name,
    members: [...g.members],
    ...(at(ctx, '2.64') ? { policy: g.policy, rules: {} } : { policies: [g.policy], metadata: {} }),
    ...(at(ctx, '2.13') ? { project_id: g.project_id, user_id: g.user_id } : {}),
  });
  const list = (ctx: RouteContext, detail: boolean) => {
    let servers = [...ctx.cloud.servers.values()].map((s) => s.json);
    const q = ctx.query;
    const tags = queryValues(q, 'tags');
    const anyTags = queryValues(q, 'tags-any');
    if (at(ctx, '2.26')) {
      if (tags.length) servers = servers.filter((s) => tags.every((t) => s.tags.includes(t)));
      if (anyTags.length) servers = servers.filter((s) => anyTags.some((t) => s.tags.includes(t)));
    }
    const name = q.get('name');
    if (name) {
      const re = new RegExp(name);
      servers = servers.filter((s) => re.test(s.name));
    }
    const status = q.get('status');
    if (status) servers = servers.filter((s) => s.status === status.toUpperCase());
    servers.sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
    const { page, next } = paginate(
      servers,
      q,
      ctx.cloud.options.maxPageSize ?? 1000,
      `${ctx.base}/compute/v2.1/servers${detail ? '/detail' : ''}`,
    );
    return ok({
      servers: page.map((s) =>
        detail ? show(ctx, s as unknown as Record<string, unknown>) : { id: s.id, name: s.name, links: [] },
      ),
      ...(next ? { servers_links: [{ rel: 'next', href: next }] } : {}),
    });
  };
  return [
    {
      name: 'compute.versions',
      method: 'GET',
      pattern: /^\/$/,
      open: true,
      handle: (ctx) => ({ status: 200, body: { versions: [versionDoc(ctx)] } }),
    },
    {
      name: 'compute.version',
      method: 'GET',
      pattern: /^\/v2\.1\/?$/,
      open: true,
      handle: (ctx) => ok({ version: versionDoc(ctx) }),
    },
    {
      name: 'compute.servers.list',
      method: 'GET',
      pattern: /^\/v2\.1\/servers$/,
      handle: (ctx) => list(ctx, false),
    },
    {
      name: 'compute.servers.list_detail',
      method: 'GET',
      pattern: /^\/v2\.1\/servers\/detail$/,
      handle: (ctx) => list(ctx, true),
    },
    {
      name: 'compute.servers.create',
      method: 'POST',
      pattern: /^\/v2\.1\/servers$/,
      handle: (ctx) => {
        const { request, userData, count } = validateServerCreate(ctx);
        const created = [];
        for (let i = 1; i <= count; i++) {
          const name = count > 1 ? `${request.name}-${i}` : request.name;
          created.push(ctx.cloud.createServer({ ...request, name }, userData));
        }
        if (ctx.body.server.return_reservation_id === true)
          return ok({ reservation_id: `r-${randomUUID().slice(0, 8)}` }, 202);
        const first = created[0]!;
        return ok(
          {
            server: {
              id: first.id,
              links: [{ rel: 'self', href: `${ctx.base}/compute/v2.1/servers/${first.id}` }],
              'OS-DCF:diskConfig': 'MANUAL',
              security_groups: request.securityGroups.map((g) => ({ name: g.name })),
              adminPass: randomUUID().slice(0, 12),
            },
          },
          202,
        );
      },
    },
    {
      name: 'compute.servers.show',
      method: 'GET',
      pattern: /^\/v2\.1\/servers\/([^/]+)$/,
      handle: (ctx) =>
        ok({ server: show(ctx, serverOf(ctx, ctx.params[0]!).json as unknown as Record<string, unknown>) }),
    },
    {
      name: 'compute.servers.delete',
      method: 'DELETE',
      pattern: /^\/v2\.1\/servers\/([^/]+)$/,
      handle: (ctx) => {
        const stored = serverOf(ctx, ctx.params[0]!);
        ctx.cloud.deleteServer(stored.json.id);
        return { status: 204 };
      },
    },
    {
      name: 'compute.servers.action',
      method: 'POST',
      pattern: /^\/v2\.1\/servers\/([^/]+)\/action$/,
      handle: (ctx) => {
        const stored = serverOf(ctx, ctx.params[0]!);
        const actions = Object.keys(ctx.body ?? {});
        if (actions.length !== 1)
          throw new FakeApiError(400, 'There is no such action: ' + actions.join(','));
        const action = actions[0]!;
        if (action !== 'os-stop' && action !== 'os-start')
          throw new FakeApiError(400, `There is no such action: ${action}`);
        if (stored.deleting)
          throw new FakeApiError(
            409,
            `Cannot '${action.slice(3)}' instance ${stored.json.id} while it is in task_state deleting`,
          );
        ctx.cloud.powerAction(stored.json.id, action);
        return { status: 202 };
      },
    },
    {
      name: 'compute.flavors.list_detail',
      method: 'GET',
      pattern: /^\/v2\.1\/flavors\/detail$/,
      handle: (ctx) => {
        const { page, next } = paginate(
          ctx.cloud.flavors,
          ctx.query,
          ctx.cloud.options.maxPageSize ?? 1000,
          `${ctx.base}/compute/v2.1/flavors/detail`,
        );
        return ok({
          flavors: page.map((f) => flavorJson(ctx, f)),
          ...(next ? { flavors_links: [{ rel: 'next', href: next }] } : {}),
        });
      },
    },
    {
      name: 'compute.flavors.list',
      method: 'GET',
      pattern: /^\/v2\.1\/flavors$/,
      handle: (ctx) => {
        const { page, next } = paginate(
          ctx.cloud.flavors,
          ctx.query,
          ctx.cloud.options.maxPageSize ?? 1000,
          `${ctx.base}/compute/v2.1/flavors`,
        );
        return ok({
          flavors: page.map((f) => ({ id: f.id, name: f.name, links: [] })),
          ...(next ? { flavors_links: [{ rel: 'next', href: next }] } : {}),
        });
      },
    },
    {
      name: 'compute.flavors.show',
      method: 'GET',
      pattern: /^\/v2\.1\/flavors\/([^/]+)$/,
      handle: (ctx) => {
        const f = ctx.cloud.flavors.find((x) => x.id === ctx.params[0]);
        if (!f) throw new FakeApiError(404, `Flavor ${ctx.params[0]} could not be found.`);
        return ok({ flavor: flavorJson(ctx, f) });
      },
    },
    {
      name: 'compute.keypairs.list',
      method: 'GET',
      pattern: /^\/v2\.1\/os-keypairs$/,
      handle: (ctx) =>
        ok({
          keypairs: [...ctx.cloud.keyPairs.values()].map((k) => ({ keypair: keyPairJson(ctx, k, false) })),
        }),
    },
    {
      name: 'compute.keypairs.show',
      method: 'GET',
      pattern: /^\/v2\.1\/os-keypairs\/([^/]+)$/,
      handle: (ctx) => {
        const k = ctx.cloud.keyPairs.get(ctx.params[0]!);
        if (!k)
          throw new FakeApiError(404, `Keypair ${ctx.params[0]} not found for user ${ctx.token!.userId}`);
        return ok({ keypair: keyPairJson(ctx, k, true) });
      },
    },
    {
      name: 'compute.keypairs.create',
      method: 'POST',
      pattern: /^\/v2\.1\/os-keypairs$/,
      handle: (ctx) => {
        const kp = ctx.body?.keypair;
        if (!kp || typeof kp !== 'object') throw invalidInput("root: 'keypair' is a required property");
        const allowed = new Set([
          'name',
          'public_key',
          ...(at(ctx, '2.2') ? ['type'] : []),
          ...(at(ctx, '2.10') ? ['user_id'] : []),
        ]);
        for (const k of Object.keys(kp))
          if (!allowed.has(k))
            throw invalidInput(`keypair. Additional properties are not allowed ('${k}' was unexpected)`);
        if (
          typeof kp.name !== 'string' ||
          kp.name.length < 1 ||
          kp.name.length > 255 ||
          !/^[\w. @-]+$/.test(kp.name)
        ) {
          throw new FakeApiError(400, 'Keypair data is invalid: Keypair name contains unsafe characters');
        }
        if (typeof kp.public_key !== 'string') {
          throw new FakeApiError(
            400,
            'Keypair data is invalid: this fake only imports public keys (give public_key)',
          );
        }
        if (ctx.cloud.keyPairs.has(kp.name))
          throw new FakeApiError(409, `Key pair '${kp.name}' already exists.`);
        const pair: KeyPair = {
          name: kp.name,
          public_key: kp.public_key.trim(),
          fingerprint: fingerprint(kp.public_key),
          type: kp.type ?? 'ssh',
          user_id: ctx.token!.userId,
          created_at: new Date().toISOString(),
        };
        ctx.cloud.keyPairs.set(pair.name, pair);
        return ok({ keypair: keyPairJson(ctx, pair, false) }, at(ctx, '2.2') ? 201 : 200);
      },
    },
    {
      name: 'compute.keypairs.delete',
      method: 'DELETE',
      pattern: /^\/v2\.1\/os-keypairs\/([^/]+)$/,
      handle: (ctx) => {
        if (!ctx.cloud.keyPairs.delete(ctx.params[0]!)) {
          throw new FakeApiError(404, `Keypair ${ctx.params[0]} not found for user ${ctx.token!.userId}`);
        }
        return { status: at(ctx, '2.2') ? 204 : 202 };
      },
    },
    {
      name: 'compute.server_groups.list',
      method: 'GET',
      pattern: /^\/v2\.1\/os-server-groups$/,
      handle: (ctx) =>
        ok({ server_groups: [...ctx.cloud.serverGroups.values()].map((g) => groupJson(ctx, g)) }),
    },
    {
      name: 'compute.server_groups.create',
      method: 'POST',
      pattern: /^\/v2\.1\/os-server-groups$/,
      handle: (ctx) => {
        const g = ctx.body?.server_group;
        if (!g || typeof g.name !== 'string' || g.name === '')
          throw invalidInput("server_group: 'name' is a required property");
        const modern = at(ctx, '2.64');
        const policy = modern
          ? g.policy
          : Array.isArray(g.policies) && g.policies.length === 1
            ? g.policies[0]
            : undefined;
        if (modern && g.policies !== undefined)
          throw invalidInput(
            "server_group. Additional properties are not allowed ('policies' was unexpected)",
          );
        const allowed = [
          'anti-affinity',
          'affinity',
          ...(at(ctx, '2.15') ? ['soft-anti-affinity', 'soft-affinity'] : []),
        ];
        if (!allowed.includes(policy))
          throw invalidInput(
            `server_group/${modern ? 'policy' : 'policies'}: ${JSON.stringify(policy)} is not one of ${JSON.stringify(allowed)}`,
          );
        const group: ServerGroup = {
          id: randomUUID(),
          name: g.name,
          policy,
          members: [],
          project_id: ctx.cloud.projectId,
          user_id: ctx.token!.userId,
        };
        ctx.cloud.serverGroups.set(group.id, group);
        return ok({ server_group: groupJson(ctx, group) });
      },
    },
    {
      name: 'compute.server_groups.show',
      method: 'GET',
      pattern: /^\/v2\.1\/os-server-groups\/([^/]+)$/,
      handle: (ctx) => {
        const g = ctx.cloud.serverGroups.get(ctx.params[0]!);
        if (!g) throw new FakeApiError(404, `Instance group ${ctx.params[0]} could not be found.`);
        return ok({ server_group: groupJson(ctx, g) });
      },
    },
    {
      name: 'compute.server_groups.delete',
      method: 'DELETE',
      pattern: /^\/v2\.1\/os-server-groups\/([^/]+)$/,
      handle: (ctx) => {
        if (!ctx.cloud.serverGroups.delete(ctx.params[0]!))
          throw new FakeApiError(404, `Instance group ${ctx.params[0]} could not be found.`);
        return { status: 204 };
      },
    },
    {
      name: 'compute.availability_zones.list',
      method: 'GET',
      pattern: /^\/v2\.1\/os-availability-zone$/,
      handle: (ctx) =>
        ok({
          availabilityZoneInfo: ctx.cloud.zones.map((z) => ({
            zoneName: z,
            zoneState: { available: true },
            hosts: null,
          })),
        }),
    },
  ];
}
