/**
 * The checks Nova makes on `POST /servers` before it creates anything (API reference "Create Server"
 * and its JSON schema), for every field herd and the openstack CLI send: the body's keys per
 * microversion, name, flavorRef, imageRef, networks (required from 2.37), security_groups, key_name,
 * metadata, tags (2.52), availability_zone, user_data, block_device_mapping_v2 (volume_type from
 * 2.67), scheduler hints, min/max count and the project's quota.
 */
import type { Network, SecurityGroup, ServerRequest } from './cloud.js';
import { FakeApiError, invalidInput } from './errors.js';
import { versionCmp } from './nova.js';
import type { RouteContext } from './routes.js';

const BASE_KEYS = [
  'name',
  'imageRef',
  'flavorRef',
  'adminPass',
  'metadata',
  'networks',
  'OS-DCF:diskConfig',
  'accessIPv4',
  'accessIPv6',
  'key_name',
  'user_data',
  'availability_zone',
  'block_device_mapping',
  'block_device_mapping_v2',
  'config_drive',
  'min_count',
  'max_count',
  'return_reservation_id',
  'security_groups',
];

const BDM_KEYS = [
  'boot_index',
  'uuid',
  'source_type',
  'destination_type',
  'volume_size',
  'delete_on_termination',
  'device_name',
  'guest_format',
  'disk_bus',
  'device_type',
  'no_device',
];

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function allowedKeys(version: string): Set<string> {
  const keys = new Set(BASE_KEYS);
  if (versionCmp(version, '2.57') < 0) keys.add('personality');
  if (versionCmp(version, '2.19') >= 0) keys.add('description');
  if (versionCmp(version, '2.52') >= 0) keys.add('tags');
  if (versionCmp(version, '2.63') >= 0) keys.add('trusted_image_certificates');
  if (versionCmp(version, '2.74') >= 0) for (const k of ['host', 'hypervisor_hostname']) keys.add(k);
  if (versionCmp(version, '2.90') >= 0) keys.add('hostname');
  return keys;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A validated create request: what to create, its user data, how many. */
export function validateServerCreate(ctx: RouteContext): {
  request: ServerRequest;
  userData: string | undefined;
  count: number;
} {
  const { cloud, microversion } = ctx;
  const body = ctx.body;
  if (!isObject(body) || !isObject(body['server']))
    throw invalidInput("root. 'server' is a required property");
  for (const key of Object.keys(body)) {
    if (!['server', 'os:scheduler_hints', 'OS-SCH-HNT:scheduler_hints'].includes(key)) {
      throw invalidInput(`root. Additional properties are not allowed ('${key}' was unexpected)`);
    }
  }
  const s = body['server'];
  const allowed = allowedKeys(microversion);
  for (const key of Object.keys(s)) {
    if (!allowed.has(key))
      throw invalidInput(`server. Additional properties are not allowed ('${key}' was unexpected)`);
  }
  const name = s['name'];
  if (typeof name !== 'string') throw invalidInput("server. 'name' is a required property");
  if (s['networks'] === undefined && versionCmp(microversion, '2.37') >= 0) {
    throw invalidInput("server. 'networks' is a required property");
  }
  if (name.length < 1 || name.length > 255 || name.trim() !== name) {
    throw invalidInput(`name. Value: ${name}. '${name}' does not match the pattern of a server name`);
  }
  const flavorRef = s['flavorRef'];
  if (typeof flavorRef !== 'string' && typeof flavorRef !== 'number')
    throw invalidInput("server. 'flavorRef' is a required property");
  const flavorId = String(flavorRef).split('/').pop()!;
  const flavor = cloud.flavors.find((f) => f.id === flavorId);
  if (!flavor) throw new FakeApiError(400, `Flavor ${flavorRef} could not be found.`);

  const bdms = s['block_device_mapping_v2'];
  let bootVolume: ServerRequest['bootVolume'];
  if (bdms !== undefined) {
    if (!Array.isArray(bdms)) throw invalidInput('block_device_mapping_v2. Value is not of type array');
    for (const bdm of bdms) {
      if (!isObject(bdm)) throw invalidInput('block_device_mapping_v2. Items must be objects');
      const keys = new Set([
        ...BDM_KEYS,
        ...(versionCmp(microversion, '2.42') >= 0 ? ['tag'] : []),
        ...(versionCmp(microversion, '2.67') >= 0 ? ['volume_type'] : []),
      ]);
      for (const key of Object.keys(bdm)) {
        if (!keys.has(key))
          throw invalidInput(
            `block_device_mapping_v2. Additional properties are not allowed ('${key}' was unexpected)`,
          );
      }
      if (Number(bdm['boot_index']) !== 0) continue;
      if (bdm['source_type'] !== 'image' || bdm['destination_type'] !== 'volume') {
        throw new FakeApiError(
          400,
          'This fake boots from a volume only with source_type=image, destination_type=volume.',
        );
      }
      const image = cloud.images.find((i) => i.id === bdm['uuid']);
      if (!image) throw new FakeApiError(400, `Image ${String(bdm['uuid'])} could not be found.`);
      const size = bdm['volume_size'];
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
        throw new FakeApiError(
          400,
          "Block Device Mapping is Invalid: Images with destination_type 'volume' need to have a non-zero size specified",
        );
      }
      if (size < image.min_disk) {
        throw new FakeApiError(
          400,
          `Volume is smaller than the minimum size specified in image metadata. Volume size is ${size * 2 ** 30} bytes, minimum size is ${image.min_disk * 2 ** 30} bytes.`,
        );
      }
      const type = bdm['volume_type'] === undefined ? '__DEFAULT__' : String(bdm['volume_type']);
      if (!cloud.volumeTypes.includes(type))
        throw new FakeApiError(400, `Volume type ${type} could not be found.`);
      bootVolume = {
        size,
        type,
        imageId: image.id,
        deleteOnTermination: bdm['delete_on_termination'] === true,
      };
    }
  }
  const imageRef = s['imageRef'];
  let image: ServerRequest['image'];
  if (bootVolume) {
    if (imageRef !== undefined && imageRef !== '') {
      image = cloud.images.find((i) => i.id === imageRef);
      if (!image) throw new FakeApiError(400, `Image ${String(imageRef)} could not be found.`);
    }
  } else {
    if (typeof imageRef !== 'string' || imageRef === '') {
      throw new FakeApiError(
        400,
        'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.',
      );
    }
    const id = imageRef.split('/').pop()!;
    if (!UUID.test(id)) throw new FakeApiError(400, 'Invalid imageRef provided.');
    image = cloud.images.find((i) => i.id === id);
    if (!image) throw new FakeApiError(400, `Image ${id} could not be found.`);
    if (image.status !== 'active') throw new FakeApiError(400, `Image ${id} is not active.`);
  }

  const networks = resolveNetworks(ctx, s['networks']);
  const securityGroups = resolveSecurityGroups(ctx, s['security_groups']);
  const keyName = s['key_name'];
  if (keyName !== undefined && keyName !== null && !cloud.keyPairs.has(String(keyName))) {
    throw new FakeApiError(400, 'Invalid key_name provided.');
  }
  const metadata = s['metadata'] ?? {};
  if (!isObject(metadata)) throw invalidInput('metadata. Value is not of type object');
  for (const [k, v] of Object.entries(metadata)) {
    if (k.length < 1 || k.length > 255)
      throw invalidInput(
        `metadata. Additional properties '${k}' do not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`,
      );
    if (typeof v !== 'string' || v.length > 255)
      throw invalidInput(
        `metadata/${k}. Value: ${String(v)}. ${JSON.stringify(v)} is too long or not a string`,
      );
  }
  if (Object.keys(metadata).length > 128)
    throw new FakeApiError(
      403,
      'Quota exceeded for metadata_items: Requested ' +
        Object.keys(metadata).length +
        ', but already used 0 of 128 metadata_items',
    );
  const tags = s['tags'] ?? [];
  if (!Array.isArray(tags) || tags.length > 50)
    throw invalidInput('tags. Value is not an array of at most 50 tags');
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length < 1 || tag.length > 60 || /[/,]/.test(tag)) {
      throw invalidInput(
        `tags. Value: ${String(tag)}. '${String(tag)}' does not match '^[^,/]*$' or is longer than 60 characters`,
      );
    }
  }
  const zone = s['availability_zone'];
  if (zone !== undefined && !cloud.zones.includes(String(zone))) {
    throw new FakeApiError(400, 'The requested availability zone is not available');
  }
  const userData = s['user_data'];
  if (userData !== undefined && userData !== null) {
    if (
      typeof userData !== 'string' ||
      userData.length > 65535 ||
      !/^[A-Za-z0-9+/]*={0,2}$/.test(userData) ||
      userData.length % 4 !== 0
    ) {
      throw new FakeApiError(400, 'User data needs to be valid base 64.');
    }
  }
  const hints = (body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints']) as
    | Record<string, unknown>
    | undefined;
  let group: ServerRequest['group'];
  if (hints?.['group'] !== undefined) {
    group = cloud.serverGroups.get(String(hints['group']));
    if (!group) throw new FakeApiError(404, `Instance group ${String(hints['group'])} could not be found.`);
  }
  const min = s['min_count'] === undefined ? 1 : Number(s['min_count']);
  const max = s['max_count'] === undefined ? min : Number(s['max_count']);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
    throw new FakeApiError(400, 'min_count must be <= max_count');
  }
  const quota = cloud.options.quota ?? {};
  const live = [...cloud.servers.values()].filter((x) => !x.deleting);
  if (quota.instances !== undefined && live.length + max > quota.instances) {
    throw new FakeApiError(
      403,
      `Quota exceeded for instances: Requested ${max}, but already used ${live.length} of ${quota.instances} instances`,
    );
  }
  if (quota.cores !== undefined) {
    const used = live.reduce((sum, x) => sum + x.request.flavor.vcpus, 0);
    if (used + max * flavor.vcpus > quota.cores) {
      throw new FakeApiError(
        403,
        `Quota exceeded for cores: Requested ${max * flavor.vcpus}, but already used ${used} of ${quota.cores} cores`,
      );
    }
  }
  return {
    request: {
      name,
      flavor,
      image,
      keyName: keyName === undefined || keyName === null ? null : String(keyName),
      networks,
      securityGroups,
      metadata: metadata as Record<string, string>,
      tags: tags as string[],
      zone: zone === undefined ? cloud.zones[0]! : String(zone),
      userData: typeof userData === 'string' ? userData : undefined,
      bootVolume,
      group,
      description: typeof s['description'] === 'string' ? s['description'] : null,
    },
    userData: typeof userData === 'string' ? userData : undefined,
    count: max,
  };
}

function resolveNetworks(ctx: RouteContext, value: unknown): Network[] {
  const { cloud, microversion } = ctx;
  const internal = [...cloud.networks.values()].filter((n) => !n.external);
  if (value === undefined) {
    if (versionCmp(microversion, '2.37') >= 0)
      throw invalidInput("server. 'networks' is a required property");
    if (internal.length > 1)
      throw new FakeApiError(409, 'Multiple possible networks found, use a Network ID to be more specific.');
    return internal;
  }
  if (value === 'none') return [];
  if (value === 'auto') return internal.slice(0, 1);
  if (!Array.isArray(value))
    throw invalidInput(
      `networks. Value: ${JSON.stringify(value)}. Value is not valid under any of the given schemas`,
    );
  return value.map((item) => {
    if (!isObject(item)) throw invalidInput('networks. Items must be objects');
    if (item['port'] !== undefined) throw new FakeApiError(400, 'This fake does not take pre-created ports.');
    const uuid = String(item['uuid'] ?? '');
    const network = cloud.networks.get(uuid);
    if (!network) throw new FakeApiError(400, `Network ${uuid} could not be found.`);
    if (network.external)
      throw new FakeApiError(403, `It is not allowed to create an interface on external network ${uuid}`);
    return network;
  });
}

function resolveSecurityGroups(ctx: RouteContext, value: unknown): SecurityGroup[] {
  const groups = [...ctx.cloud.securityGroups.values()];
  const wanted = value === undefined ? [{ name: 'default' }] : value;
  if (!Array.isArray(wanted)) throw invalidInput('security_groups. Value is not of type array');
  return wanted.map((item) => {
    const ref = isObject(item) ? String(item['name'] ?? '') : '';
    const byId = groups.find((g) => g.id === ref);
    if (byId) return byId;
    const byName = groups.filter((g) => g.name === ref);
    if (byName.length > 1)
      throw new FakeApiError(
        409,
        `Multiple security groups found matching '${ref}'. Use an ID to be more specific.`,
      );
    if (byName.length === 0) throw new FakeApiError(400, `Security group ${ref} not found.`);
    return byName[0]!;
  });
}
