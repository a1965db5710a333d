/**
 * Neutron (Networking API v2.0 reference): networks, subnets, ports, security groups and their rules,
 * floating IPs and resource tags, with attribute filters (repeatable values), `tags`/`tags-any`
 * filters, limit/marker pagination with `<collection>_links`, and the NeutronError bodies of the API
 * (NetworkNotFound, SecurityGroupInUse, SecurityGroupRuleExists, ...).
 */
import { randomUUID } from 'node:crypto';
import type { FakeCloudState, FloatingIp, Network, Port, SecurityGroup, SecurityGroupRule } from './cloud.js';
import { FakeApiError } from './errors.js';
import { ok, paginate, queryValues, type Route, type RouteContext } from './routes.js';

const CONTROL = new Set([
  'limit',
  'marker',
  'fields',
  'sort_key',
  'sort_dir',
  'tags',
  'tags-any',
  'not-tags',
  'not-tags-any',
  'page_reverse',
]);

/** Neutron's attribute filters: `?name=a&name=b` matches either; booleans as True/true. */
function filterItems<T extends Record<string, unknown>>(items: T[], query: URLSearchParams): T[] {
  let out = items;
  for (const key of new Set(query.keys())) {
    if (CONTROL.has(key)) continue;
    const values = query.getAll(key);
    out = out.filter((item) => {
      const v = item[key];
      if (v === undefined) return true;
      return values.some(
        (want) => String(v).toLowerCase() === want.toLowerCase() || (v === null && want === ''),
      );
    });
  }
  const tags = queryValues(query, 'tags');
  if (tags.length) out = out.filter((i) => tags.every((t) => (i['tags'] as string[]).includes(t)));
  const anyTags = queryValues(query, 'tags-any');
  if (anyTags.length) out = out.filter((i) => anyTags.some((t) => (i['tags'] as string[]).includes(t)));
  return out;
}

const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function networkJson(n: Network) {
  return {
    id: n.id,
    name: n.name,
    status: 'ACTIVE',
    admin_state_up: true,
    shared: n.shared,
    'router:external': n.external,
    subnets: [n.subnetId],
    project_id: n.projectId,
    tenant_id: n.projectId,
    tags: [...n.tags],
    description: '',
    mtu: 1450,
    availability_zones: ['nova'],
    port_security_enabled: true,
    is_default: n.external,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    revision_number: 1,
  };
}

function subnetJson(n: Network) {
  const [base, prefix] = n.cidr.split('/') as [string, string];
  const parts = base.split('.').map(Number);
  const gateway = `${parts[0]}.${parts[1]}.${parts[2]}.${(parts[3] ?? 0) + 1}`;
  return {
    id: n.subnetId,
    name: `${n.name}-subnet`,
    network_id: n.id,
    cidr: `${base}/${prefix}`,
    ip_version: 4,
    gateway_ip: gateway,
    enable_dhcp: !n.external,
    allocation_pools: [],
    dns_nameservers: [],
    host_routes: [],
    project_id: n.projectId,
    tenant_id: n.projectId,
    tags: [],
    description: '',
  };
}

function ruleJson(r: SecurityGroupRule) {
  return {
    ...r,
    tenant_id: r.project_id,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    revision_number: 0,
  };
}

function groupJson(cloud: FakeCloudState, g: SecurityGroup) {
  return {
    ...g,
    tags: [...g.tags],
    tenant_id: g.project_id,
    security_group_rules: [...cloud.rules.values()].filter((r) => r.security_group_id === g.id).map(ruleJson),
    created_at: '2024-01-01T00:00:00Z',
    updated_at: stamp(),
    revision_number: 1,
  };
}

const portJson = (p: Port) => ({
  ...p,
  tags: [...p.tags],
  tenant_id: p.project_id,
  binding_vnic_type: 'normal',
});
const fipJson = (f: FloatingIp) => ({ ...f, tags: [...f.tags], tenant_id: f.project_id, port_details: null });

function attrs(body: unknown, resource: string, allowed: readonly string[]): Record<string, unknown> {
  const inner = (body as Record<string, unknown> | undefined)?.[resource];
  if (!inner || typeof inner !== 'object')
    throw new FakeApiError(400, `Resource body required`, 'BadRequest');
  const unknown = Object.keys(inner).filter((k) => !allowed.includes(k));
  if (unknown.length)
    throw new FakeApiError(400, `Unrecognized attribute(s) '${unknown.join(', ')}'`, 'HTTPBadRequest');
  return inner as Record<string, unknown>;
}

/** The Neutron routes of the fake. */
export function neutronRoutes(): Route[] {
  const list = <T extends { id: string }>(ctx: RouteContext, collection: string, items: T[]) => {
    const filtered = filterItems(items as unknown as Record<string, unknown>[], ctx.query) as unknown as T[];
    filtered.sort((a, b) => a.id.localeCompare(b.id));
    const { page, next } = paginate(
      filtered,
      ctx.query,
      ctx.cloud.options.maxPageSize ?? 1000,
      `${ctx.base}/network/v2.0/${collection}`,
    );
    return ok({
      [collection.replaceAll('-', '_')]: page,
      ...(ctx.query.has('limit')
        ? { [`${collection.replaceAll('-', '_')}_links`]: next ? [{ rel: 'next', href: next }] : [] }
        : {}),
    });
  };
  const group = (ctx: RouteContext, id: string) => {
    const g = ctx.cloud.securityGroups.get(id);
    if (!g) throw new FakeApiError(404, `Security group ${id} does not exist`, 'SecurityGroupNotFound');
    return g;
  };
  const fip = (ctx: RouteContext, id: string) => {
    const f = ctx.cloud.floatingIps.get(id);
    if (!f) throw new FakeApiError(404, `Floating IP ${id} could not be found`, 'FloatingIPNotFound');
    return f;
  };
  const port = (ctx: RouteContext, id: string) => {
    const p = ctx.cloud.ports.get(id);
    if (!p) throw new FakeApiError(404, `Port ${id} could not be found.`, 'PortNotFound');
    return p;
  };
  const network = (ctx: RouteContext, id: string) => {
    const n = ctx.cloud.networks.get(id);
    if (!n) throw new FakeApiError(404, `Network ${id} could not be found.`, 'NetworkNotFound');
    return n;
  };
  /** Resources that take tags, by URL collection. */
  const taggable = (ctx: RouteContext, collection: string, id: string): { tags: string[] } => {
    switch (collection) {
      case 'security-groups':
        return group(ctx, id);
      case 'floatingips':
        return fip(ctx, id);
      case 'ports':
        return port(ctx, id);
      case 'networks':
        return network(ctx, id);
      default:
        throw new FakeApiError(404, `The resource could not be found.`, 'HTTPNotFound');
    }
  };
  const checkTag = (tag: string) => {
    if (tag.length < 1 || tag.length > 255 || /[,]/.test(tag))
      throw new FakeApiError(
        400,
        `Invalid input for operation: '${tag}' is not a valid tag.`,
        'InvalidInput',
      );
  };
  return [
    {
      name: 'network.versions',
      method: 'GET',
      pattern: /^\/$/,
      open: true,
      handle: (ctx) =>
        ok({
          versions: [
            { status: 'CURRENT', id: 'v2.0', links: [{ href: `${ctx.base}/network/v2.0/`, rel: 'self' }] },
          ],
        }),
    },
    {
      name: 'network.extensions.list',
      method: 'GET',
      pattern: /^\/v2\.0\/extensions$/,
      handle: () =>
        ok({
          extensions: [
            'security-group',
            'router',
            'external-net',
            'standard-attr-tag',
            'standard-attr-description',
            'quotas',
            'port-security',
          ].map((alias) => ({
            alias,
            name: alias,
            description: alias,
            updated: '2024-01-01T00:00:00-00:00',
            links: [],
          })),
        }),
    },
    {
      name: 'network.networks.list',
      method: 'GET',
      pattern: /^\/v2\.0\/networks$/,
      handle: (ctx) => list(ctx, 'networks', [...ctx.cloud.networks.values()].map(networkJson)),
    },
    {
      name: 'network.networks.show',
      method: 'GET',
      pattern: /^\/v2\.0\/networks\/([^/]+)$/,
      handle: (ctx) => ok({ network: networkJson(network(ctx, ctx.params[0]!)) }),
    },
    {
      name: 'network.subnets.list',
      method: 'GET',
      pattern: /^\/v2\.0\/subnets$/,
      handle: (ctx) => list(ctx, 'subnets', [...ctx.cloud.networks.values()].map(subnetJson)),
    },
    {
      name: 'network.ports.list',
      method: 'GET',
      pattern: /^\/v2\.0\/ports$/,
      handle: (ctx) => list(ctx, 'ports', [...ctx.cloud.ports.values()].map(portJson)),
    },
    {
      name: 'network.ports.show',
      method: 'GET',
      pattern: /^\/v2\.0\/ports\/([^/]+)$/,
      handle: (ctx) => ok({ port: portJson(port(ctx, ctx.params[0]!)) }),
    },
    {
      name: 'network.security_groups.list',
      method: 'GET',
      pattern: /^\/v2\.0\/security-groups$/,
      handle: (ctx) =>
        list(
          ctx,
          'security-groups',
          [...ctx.cloud.securityGroups.values()].map((g) => groupJson(ctx.cloud, g)),
        ),
    },
    {
      name: 'network.security_groups.show',
      method: 'GET',
      pattern: /^\/v2\.0\/security-groups\/([^/]+)$/,
      handle: (ctx) => ok({ security_group: groupJson(ctx.cloud, group(ctx, ctx.params[0]!)) }),
    },
    {
      name: 'network.security_groups.create',
      method: 'POST',
      pattern: /^\/v2\.0\/security-groups$/,
      handle: (ctx) => {
        const a = attrs(ctx.body, 'security_group', [
          'name',
          'description',
          'stateful',
          'tags',
          'project_id',
          'tenant_id',
        ]);
        if (a['name'] === 'default')
          throw new FakeApiError(
            409,
            'Default security group already exists.',
            'SecurityGroupDefaultAlreadyExists',
          );
        const g = ctx.cloud.addSecurityGroup(String(a['name'] ?? ''), String(a['description'] ?? ''));
        if (Array.isArray(a['tags'])) g.tags = a['tags'].map(String);
        return ok({ security_group: groupJson(ctx.cloud, g) }, 201);
      },
    },
    {
      name: 'network.security_groups.update',
      method: 'PUT',
      pattern: /^\/v2\.0\/security-groups\/([^/]+)$/,
      handle: (ctx) => {
        const g = group(ctx, ctx.params[0]!);
        const a = attrs(ctx.body, 'security_group', ['name', 'description', 'stateful']);
        if (typeof a['name'] === 'string') g.name = a['name'];
        if (typeof a['description'] === 'string') g.description = a['description'];
        return ok({ security_group: groupJson(ctx.cloud, g) });
      },
    },
    {
      name: 'network.security_groups.delete',
      method: 'DELETE',
      pattern: /^\/v2\.0\/security-groups\/([^/]+)$/,
      handle: (ctx) => {
        const g = group(ctx, ctx.params[0]!);
        if (g.name === 'default')
          throw new FakeApiError(
            409,
            'Insufficient rights for removing default security group.',
            'SecurityGroupCannotRemoveDefault',
          );
        const used = [...ctx.cloud.ports.values()].some((p) => p.security_groups.includes(g.id));
        if (used) throw new FakeApiError(409, `Security Group ${g.id} in use.`, 'SecurityGroupInUse');
        ctx.cloud.securityGroups.delete(g.id);
        for (const r of [...ctx.cloud.rules.values()]) {
          if (r.security_group_id === g.id) ctx.cloud.rules.delete(r.id);
        }
        return { status: 204 };
      },
    },
    {
      name: 'network.security_group_rules.list',
      method: 'GET',
      pattern: /^\/v2\.0\/security-group-rules$/,
      handle: (ctx) => list(ctx, 'security-group-rules', [...ctx.cloud.rules.values()].map(ruleJson)),
    },
    {
      name: 'network.security_group_rules.create',
      method: 'POST',
      pattern: /^\/v2\.0\/security-group-rules$/,
      handle: (ctx) => {
        const a = attrs(ctx.body, 'security_group_rule', [
          'security_group_id',
          'direction',
          'ethertype',
          'protocol',
          'port_range_min',
          'port_range_max',
          'remote_ip_prefix',
          'remote_group_id',
          'remote_address_group_id',
          'description',
          'project_id',
          'tenant_id',
        ]);
        const g = group(ctx, String(a['security_group_id'] ?? ''));
        if (a['direction'] !== 'ingress' && a['direction'] !== 'egress') {
          throw new FakeApiError(
            400,
            `Invalid input for direction. Reason: '${String(a['direction'])}' is not in ['ingress', 'egress'].`,
            'HTTPBadRequest',
          );
        }
        const ethertype = String(a['ethertype'] ?? 'IPv4');
        if (ethertype !== 'IPv4' && ethertype !== 'IPv6')
          throw new FakeApiError(
            400,
            `Invalid input for ethertype. Reason: '${ethertype}' is not in ['IPv4', 'IPv6'].`,
            'HTTPBadRequest',
          );
        const protocol =
          a['protocol'] === undefined || a['protocol'] === null || a['protocol'] === 'any'
            ? null
            : String(a['protocol']);
        if (
          protocol !== null &&
          !['tcp', 'udp', 'icmp', 'ipv6-icmp'].includes(protocol) &&
          !/^\d+$/.test(protocol)
        ) {
          throw new FakeApiError(
            400,
            `Security group rule protocol ${protocol} not supported.`,
            'SecurityGroupRuleInvalidProtocol',
          );
        }
        const min =
          a['port_range_min'] === undefined || a['port_range_min'] === null
            ? null
            : Number(a['port_range_min']);
        const max =
          a['port_range_max'] === undefined || a['port_range_max'] === null
            ? null
            : Number(a['port_range_max']);
        if ((protocol === 'tcp' || protocol === 'udp') && min !== null && max !== null && min > max) {
          throw new FakeApiError(
            400,
            'For TCP/UDP protocols, port_range_min must be <= port_range_max',
            'SecurityGroupInvalidPortRange',
          );
        }
        if ((min !== null || max !== null) && protocol === null) {
          throw new FakeApiError(
            400,
            'Must also specify protocol if port range is given.',
            'SecurityGroupProtocolRequiredWithPorts',
          );
        }
        const prefix =
          a['remote_ip_prefix'] === undefined || a['remote_ip_prefix'] === null
            ? null
            : String(a['remote_ip_prefix']);
        const remoteGroup =
          a['remote_group_id'] === undefined || a['remote_group_id'] === null
            ? null
            : String(a['remote_group_id']);
        if (prefix !== null && remoteGroup !== null) {
          throw new FakeApiError(
            400,
            'Only remote_ip_prefix or remote_group_id may be provided.',
            'SecurityGroupRemoteGroupAndRemoteIpPrefix',
          );
        }
        if (prefix !== null && !/^[\d.]+\/\d{1,2}$|^[0-9a-f:]+\/\d{1,3}$/i.test(prefix)) {
          throw new FakeApiError(
            400,
            `Invalid input for remote_ip_prefix. Reason: '${prefix}' is not a valid IP subnet.`,
            'HTTPBadRequest',
          );
        }
        if (remoteGroup !== null) group(ctx, remoteGroup);
        const same = [...ctx.cloud.rules.values()].find(
          (r) =>
            r.security_group_id === g.id &&
            r.direction === a['direction'] &&
            r.ethertype === ethertype &&
            r.protocol === protocol &&
            r.port_range_min === min &&
            r.port_range_max === max &&
            r.remote_ip_prefix === prefix &&
            r.remote_group_id === remoteGroup,
        );
        if (same)
          throw new FakeApiError(
            409,
            `Security group rule already exists. Rule id is ${same.id}.`,
            'SecurityGroupRuleExists',
          );
        const rule = ctx.cloud.addRule({
          security_group_id: g.id,
          direction: String(a['direction']),
          ethertype,
          protocol,
          port_range_min: min,
          port_range_max: max,
          remote_ip_prefix: prefix,
          remote_group_id: remoteGroup,
          description: String(a['description'] ?? ''),
        });
        return ok({ security_group_rule: ruleJson(rule) }, 201);
      },
    },
    {
      name: 'network.security_group_rules.delete',
      method: 'DELETE',
      pattern: /^\/v2\.0\/security-group-rules\/([^/]+)$/,
      handle: (ctx) => {
        if (!ctx.cloud.rules.delete(ctx.params[0]!)) {
          throw new FakeApiError(
            404,
            `Security group rule ${ctx.params[0]} does not exist`,
            'SecurityGroupRuleNotFound',
          );
        }
        return { status: 204 };
      },
    },
    {
      name: 'network.floatingips.list',
      method: 'GET',
      pattern: /^\/v2\.0\/floatingips$/,
      handle: (ctx) => list(ctx, 'floatingips', [...ctx.cloud.floatingIps.values()].map(fipJson)),
    },
    {
      name: 'network.floatingips.show',
      method: 'GET',
      pattern: /^\/v2\.0\/floatingips\/([^/]+)$/,
      handle: (ctx) => ok({ floatingip: fipJson(fip(ctx, ctx.params[0]!)) }),
    },
    {
      name: 'network.floatingips.create',
      method: 'POST',
      pattern: /^\/v2\.0\/floatingips$/,
      handle: (ctx) => {
        const a = attrs(ctx.body, 'floatingip', [
          'floating_network_id',
          'port_id',
          'description',
          'fixed_ip_address',
          'floating_ip_address',
          'subnet_id',
          'tags',
          'project_id',
          'tenant_id',
          'dns_name',
          'dns_domain',
          'qos_policy_id',
        ]);
        const netId = String(a['floating_network_id'] ?? '');
        if (netId === '')
          throw new FakeApiError(
            400,
            "Failed to parse request. Required attribute 'floating_network_id' not specified",
            'HTTPBadRequest',
          );
        const net = network(ctx, netId);
        if (!net.external)
          throw new FakeApiError(
            400,
            `Bad floatingip request: Network ${netId} is not a valid external network.`,
            'BadRequest',
          );
        const limit = ctx.cloud.options.quota?.floatingips;
        if (limit !== undefined && ctx.cloud.floatingIps.size >= limit)
          throw new FakeApiError(409, "Quota exceeded for resources: ['floatingip'].", 'OverQuota');
        const target = a['port_id'] ? port(ctx, String(a['port_id'])) : null;
        const f: FloatingIp = {
          id: randomUUID(),
          floating_ip_address: net.pool.take(),
          floating_network_id: net.id,
          port_id: null,
          fixed_ip_address: null,
          router_id: null,
          status: 'DOWN',
          description: String(a['description'] ?? ''),
          project_id: ctx.cloud.projectId,
          tags: Array.isArray(a['tags']) ? a['tags'].map(String) : [],
        };
        ctx.cloud.floatingIps.set(f.id, f);
        if (target) ctx.cloud.associate(f, target);
        return ok({ floatingip: fipJson(f) }, 201);
      },
    },
    {
      name: 'network.floatingips.update',
      method: 'PUT',
      pattern: /^\/v2\.0\/floatingips\/([^/]+)$/,
      handle: (ctx) => {
        const f = fip(ctx, ctx.params[0]!);
        const a = attrs(ctx.body, 'floatingip', ['port_id', 'description', 'fixed_ip_address']);
        if ('port_id' in a) ctx.cloud.associate(f, a['port_id'] ? port(ctx, String(a['port_id'])) : null);
        if (typeof a['description'] === 'string') f.description = a['description'];
        return ok({ floatingip: fipJson(f) });
      },
    },
    {
      name: 'network.floatingips.delete',
      method: 'DELETE',
      pattern: /^\/v2\.0\/floatingips\/([^/]+)$/,
      handle: (ctx) => {
        const f = fip(ctx, ctx.params[0]!);
        ctx.cloud.associate(f, null);
        ctx.cloud.floatingIps.delete(f.id);
        ctx.cloud.network(f.floating_network_id)?.pool.give(f.floating_ip_address);
        return { status: 204 };
      },
    },
    {
      name: 'network.tags.replace',
      method: 'PUT',
      pattern: /^\/v2\.0\/([a-z-]+)\/([^/]+)\/tags$/,
      handle: (ctx) => {
        const res = taggable(ctx, ctx.params[0]!, ctx.params[1]!);
        const tags = (ctx.body as { tags?: unknown } | undefined)?.tags;
        if (!Array.isArray(tags))
          throw new FakeApiError(
            400,
            "Invalid input for tags. Reason: 'tags' must be a list.",
            'InvalidInput',
          );
        for (const t of tags) checkTag(String(t));
        res.tags = [...new Set(tags.map(String))];
        return ok({ tags: [...res.tags] });
      },
    },
    {
      name: 'network.tags.add',
      method: 'PUT',
      pattern: /^\/v2\.0\/([a-z-]+)\/([^/]+)\/tags\/([^/]+)$/,
      handle: (ctx) => {
        const res = taggable(ctx, ctx.params[0]!, ctx.params[1]!);
        checkTag(ctx.params[2]!);
        if (!res.tags.includes(ctx.params[2]!)) res.tags.push(ctx.params[2]!);
        return { status: 201 };
      },
    },
    {
      name: 'network.tags.list',
      method: 'GET',
      pattern: /^\/v2\.0\/([a-z-]+)\/([^/]+)\/tags$/,
      handle: (ctx) => ok({ tags: [...taggable(ctx, ctx.params[0]!, ctx.params[1]!).tags] }),
    },
  ];
}
