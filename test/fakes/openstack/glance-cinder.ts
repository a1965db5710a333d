/**
 * Glance v2 (Image API reference: list with `name`/`status` filters and `next` links, show, 404 as an
 * HTML page) and the Cinder v3 calls that show volumes (list, detail, show, delete): the boot volumes
 * Nova creates for `block_device_mapping_v2`, so that tests can prove none is left.
 */
import type { Image, Volume } from './cloud.js';
import { FakeApiError } from './errors.js';
import { ok, paginate, type Route, type RouteContext } from './routes.js';

function imageJson(i: Image) {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: 'public',
    protected: false,
    os_hidden: false,
    min_disk: i.min_disk,
    min_ram: 0,
    size: 3_221_225_472,
    disk_format: 'qcow2',
    container_format: 'bare',
    checksum: null,
    owner: 'admin',
    tags: [],
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z',
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}

function volumeJson(v: Volume) {
  return {
    id: v.id,
    name: v.name,
    status: v.status,
    size: v.size,
    volume_type: v.volume_type,
    bootable: v.bootable,
    availability_zone: v.availability_zone,
    attachments: v.attachments.map((a) => ({ ...a, host_name: null, attached_at: v.created_at })),
    metadata: { ...v.metadata },
    created_at: v.created_at,
    updated_at: v.created_at,
    multiattach: false,
    encrypted: false,
    description: null,
    links: [],
  };
}

/** The Glance and Cinder routes of the fake. */
export function glanceCinderRoutes(): Route[] {
  const volume = (ctx: RouteContext) => {
    if (ctx.params[0] !== ctx.token?.projectId)
      throw new FakeApiError(404, 'The resource could not be found.');
    const v = ctx.cloud.volumes.get(ctx.params[1]!);
    if (!v) throw new FakeApiError(404, `Volume ${ctx.params[1]} could not be found.`);
    return v;
  };
  const volumes = (ctx: RouteContext) => {
    if (ctx.params[0] !== ctx.token?.projectId)
      throw new FakeApiError(404, 'The resource could not be found.');
    return [...ctx.cloud.volumes.values()];
  };
  return [
    {
      name: 'image.versions',
      method: 'GET',
      pattern: /^\/(versions)?$/,
      open: true,
      handle: (ctx) => ({
        status: 300,
        body: {
          versions: [
            { id: 'v2.16', status: 'CURRENT', links: [{ rel: 'self', href: `${ctx.base}/image/v2/` }] },
          ],
        },
      }),
    },
    {
      name: 'image.images.list',
      method: 'GET',
      pattern: /^\/v2\/images$/,
      handle: (ctx) => {
        let images = [...ctx.cloud.images];
        const name = ctx.query.get('name');
        if (name !== null) images = images.filter((i) => i.name === name);
        const status = ctx.query.get('status');
        if (status !== null) images = images.filter((i) => i.status === status);
        images.sort((a, b) => a.id.localeCompare(b.id));
        const { page, next } = paginate(
          images,
          ctx.query,
          ctx.cloud.options.maxPageSize ?? 1000,
          '/v2/images',
        );
        return ok({
          images: page.map((i) => imageJson(i)),
          first: '/v2/images',
          schema: '/v2/schemas/images',
          ...(next ? { next } : {}),
        });
      },
    },
    {
      name: 'image.images.show',
      method: 'GET',
      pattern: /^\/v2\/images\/([^/]+)$/,
      handle: (ctx) => {
        const image = ctx.cloud.images.find((i) => i.id === ctx.params[0]);
        if (!image) throw new FakeApiError(404, `No image found with ID ${ctx.params[0]}`);
        return ok(imageJson(image));
      },
    },
    {
      name: 'volume.versions',
      method: 'GET',
      pattern: /^\/$/,
      open: true,
      handle: (ctx) => ({
        status: 300,
        body: {
          versions: [
            {
              id: 'v3.0',
              status: 'CURRENT',
              version: '3.70',
              min_version: '3.0',
              links: [{ rel: 'self', href: `${ctx.base}/volume/v3/` }],
            },
          ],
        },
      }),
    },
    {
      name: 'volume.volumes.list_detail',
      method: 'GET',
      pattern: /^\/v3\/([^/]+)\/volumes\/detail$/,
      handle: (ctx) => ok({ volumes: volumes(ctx).map(volumeJson) }),
    },
    {
      name: 'volume.volumes.list',
      method: 'GET',
      pattern: /^\/v3\/([^/]+)\/volumes$/,
      handle: (ctx) => ok({ volumes: volumes(ctx).map((v) => ({ id: v.id, name: v.name, links: [] })) }),
    },
    {
      name: 'volume.volumes.show',
      method: 'GET',
      pattern: /^\/v3\/([^/]+)\/volumes\/([^/]+)$/,
      handle: (ctx) => ok({ volume: volumeJson(volume(ctx)) }),
    },
    {
      name: 'volume.volumes.delete',
      method: 'DELETE',
      pattern: /^\/v3\/([^/]+)\/volumes\/([^/]+)$/,
      handle: (ctx) => {
        const v = volume(ctx);
        if (v.status === 'in-use') {
          throw new FakeApiError(
            400,
            'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.',
          );
        }
        ctx.cloud.volumes.delete(v.id);
        return { status: 202 };
      },
    },
  ];
}
