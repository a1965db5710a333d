/**
 * Flavors, images and networks by name or id, as users write them in templates. A name that matches
 * nothing is an error listing the closest names the cloud has; a name that matches several images
 * asks for the id.
 */

import { ProviderError } from '../../errors.js';
import { editDistance } from '../../util/suggest.js';
import { OpenStackApiError } from './api-error.js';
import type { OpenStackClient } from './client.js';
import type { Nova, NovaFlavor } from './nova.js';

/** Where a looked-up value came from, for messages. */
export interface LookupContext {
  template: string;
  kind: string;
  /** `cloud/NAME`. */
  section: string;
}

/** A Glance image (fields herd reads). */
export interface GlanceImage {
  id: string;
  name?: string | null;
  status?: string;
  min_disk?: number;
}

/** A Neutron network (fields herd reads). */
export interface NeutronNetwork {
  id: string;
  name: string;
  'router:external'?: boolean;
  shared?: boolean;
  status?: string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Up to five names closest to `wanted` (edit distance, then containing it). */
export function closeMatches(wanted: string, names: Iterable<string>): string[] {
  const w = wanted.toLowerCase();
  const scored = [...new Set(names)]
    .filter((n) => n !== '')
    .map((n) => ({
      n,
      d: n.toLowerCase().includes(w) || w.includes(n.toLowerCase()) ? 0.5 : editDistance(wanted, n),
    }))
    .filter(({ n, d }) => d <= Math.max(3, Math.floor(n.length / 2)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, 5).map((s) => s.n);
}

function notFound(
  ctx: LookupContext,
  key: string,
  value: string,
  what: string,
  candidates: string[],
  command: string,
): ProviderError {
  const close = closeMatches(value, candidates);
  const listing =
    close.length > 0
      ? ` Close matches: ${close.join(', ')}.`
      : candidates.length > 0
        ? ''
        : ` The project has no ${what}s.`;
  return new ProviderError(
    'OpenStackNotFound',
    `[cluster/${ctx.template}] ${key}=${value} (kind ${ctx.kind}): no ${what} of that name or id.${listing}`,
    {
      hint: `Set ${key} in [cluster/${ctx.template}] (or [cluster/${ctx.template}/${ctx.kind}]) to a name or id that "${command}" shows.`,
    },
  );
}

/** A flavor by id or name (exact, then ignoring case). */
export async function findFlavor(
  nova: Nova,
  wanted: string,
  ctx: LookupContext,
  signal?: AbortSignal,
): Promise<NovaFlavor> {
  const flavors = await nova.flavors(signal);
  const hit =
    flavors.find((f) => f.id === wanted) ??
    flavors.find((f) => f.name === wanted) ??
    flavors.find((f) => f.name.toLowerCase() === wanted.toLowerCase());
  if (hit) return hit;
  throw notFound(
    ctx,
    'flavor',
    wanted,
    'flavor',
    flavors.map((f) => f.name),
    'openstack flavor list',
  );
}

/** An active image by id or exact name; several active images of one name need the id. */
export async function findImage(
  client: OpenStackClient,
  wanted: string,
  ctx: LookupContext,
  signal?: AbortSignal,
): Promise<GlanceImage> {
  if (UUID.test(wanted)) {
    try {
      const { body } = await client.call<GlanceImage>(
        'image',
        'GET',
        `/v2/images/${encodeURIComponent(wanted)}`,
        {
          signal,
        },
      );
      if (body) return checkActive(body, ctx);
    } catch (error) {
      if (!(error instanceof OpenStackApiError && error.status === 404)) throw error;
    }
  }
  const named = await client.listAll<GlanceImage>('image', '/v2/images', 'images', {
    query: { name: wanted },
    signal,
  });
  const active = named.filter((i) => i.status === undefined || i.status === 'active');
  if (active.length === 1) return active[0]!;
  if (active.length > 1) {
    throw new ProviderError(
      'OpenStackImageAmbiguous',
      `[cluster/${ctx.template}] image_id=${wanted} (kind ${ctx.kind}): ${active.length} images have that name (${active.map((i) => i.id).join(', ')}).`,
      { hint: `Set image_id in [cluster/${ctx.template}] to one of these ids.` },
    );
  }
  if (named.length > 0) return checkActive(named[0]!, ctx);
  const all = await client.listAll<GlanceImage>('image', '/v2/images', 'images', { signal });
  throw notFound(
    ctx,
    'image_id',
    wanted,
    'image',
    all.flatMap((i) => (i.name ? [i.name] : [])),
    'openstack image list',
  );
}

function checkActive(image: GlanceImage, ctx: LookupContext): GlanceImage {
  if (image.status === undefined || image.status === 'active') return image;
  throw new ProviderError(
    'OpenStackImageNotActive',
    `[cluster/${ctx.template}] image_id=${image.name ?? image.id} (kind ${ctx.kind}): the image is ${image.status}, not active.`,
    { hint: 'Wait until the image is active ("openstack image show"), or choose another image_id.' },
  );
}

/** Networks by id or name, in the order given. */
export async function findNetworks(
  client: OpenStackClient,
  wanted: readonly string[],
  ctx: LookupContext,
  signal?: AbortSignal,
): Promise<NeutronNetwork[]> {
  const all = await client.listAll<NeutronNetwork>('network', '/v2.0/networks', 'networks', { signal });
  return wanted.map((w) => {
    const hit = all.find((n) => n.id === w) ?? all.find((n) => n.name === w);
    if (!hit)
      throw notFound(
        ctx,
        'network_ids',
        w,
        'network',
        all.map((n) => n.name),
        'openstack network list',
      );
    return hit;
  });
}

/** `no network`, or `2 networks (a, b)`. */
function countNetworks(networks: readonly NeutronNetwork[], what: string): string {
  if (networks.length === 0) return `no ${what}`;
  return `${networks.length} ${what}s (${networks
    .map((n) => n.name || n.id)
    .sort()
    .join(', ')})`;
}

/** The network servers attach to when network_ids is unset: the project's only internal network. */
export async function defaultNetwork(
  client: OpenStackClient,
  ctx: LookupContext,
  signal?: AbortSignal,
): Promise<NeutronNetwork> {
  const all = await client.listAll<NeutronNetwork>('network', '/v2.0/networks', 'networks', { signal });
  const internal = all.filter((n) => n['router:external'] !== true);
  if (internal.length === 1) return internal[0]!;
  throw new ProviderError(
    'OpenStackNetworkAmbiguous',
    `[cluster/${ctx.template}] network_ids is not set and the project has ${countNetworks(internal, 'network')}, so herd cannot choose one.`,
    {
      hint: `Set network_ids in [cluster/${ctx.template}] to the network the nodes should use ("openstack network list").`,
    },
  );
}

/** The external network floating IPs come from: `floating_network_id` (name or id), else the only one. */
export async function floatingNetwork(
  client: OpenStackClient,
  wanted: string | undefined,
  ctx: LookupContext,
  signal?: AbortSignal,
): Promise<NeutronNetwork> {
  const external = await client.listAll<NeutronNetwork>('network', '/v2.0/networks', 'networks', {
    query: { 'router:external': true },
    signal,
  });
  if (wanted) {
    const hit = external.find((n) => n.id === wanted) ?? external.find((n) => n.name === wanted);
    if (hit) return hit;
    throw notFound(
      ctx,
      'floating_network_id',
      wanted,
      'external network',
      external.map((n) => n.name),
      'openstack network list --external',
    );
  }
  if (external.length === 1) return external[0]!;
  throw new ProviderError(
    'OpenStackNetworkAmbiguous',
    `request_floating_ip is set for kind ${ctx.kind} but the cloud has ${countNetworks(external, 'external network')}.`,
    {
      hint: `Set floating_network_id in [${ctx.section}] or [cluster/${ctx.template}] to the external network floating IPs come from ("openstack network list --external").`,
    },
  );
}
