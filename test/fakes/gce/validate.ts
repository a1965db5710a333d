/**
 * The checks Compute Engine makes on a bulkInsert before it creates anything, for the fields herd
 * sends. Each failure is the HTTP error the API answers with (400 invalid / required, 404 for a
 * resource that does not exist, 409 for a name taken).
 */
import { ApiError, invalid, notFound, required } from './api-error.js';
import {
  ACCELERATOR_TYPES,
  type CatalogImage,
  CPU_PLATFORMS,
  DISK_TYPES,
  isMachineType,
  PUBLIC_IMAGES,
  regionOf,
} from './catalog.js';

/** What the fake needs to know to validate. */
export interface ValidationContext {
  project: string;
  zone: string;
  /** VPC networks of the project. */
  networks: ReadonlySet<string>;
  /** Subnetworks as `region/name`. */
  subnetworks: ReadonlySet<string>;
  /** Custom images of the project. */
  projectImages: readonly CatalogImage[];
}

/** A validated bulkInsert: names to create and the instance properties. */
export interface ValidBulkInsert {
  names: string[];
  minCount: number;
  properties: Record<string, unknown>;
  image: CatalogImage;
}

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_REGEX_TEXT = '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)';
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const METADATA_KEY = /^[a-zA-Z0-9_-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks a requestId query parameter (a UUID, not the zero UUID). */
export function validateRequestId(requestId: string | null): void {
  if (requestId === null) return;
  if (!UUID.test(requestId) || /^[0-]+$/.test(requestId)) {
    throw invalid('requestId', requestId, 'Must be a valid UUID other than the zero UUID.');
  }
}

/** Validates a BulkInsertInstanceResource; `exists` tells whether a name is taken in the zone. */
export function validateBulkInsert(
  body: unknown,
  ctx: ValidationContext,
  exists: (name: string) => boolean,
): ValidBulkInsert {
  const r = asObject(body, 'resource');
  if (r['sourceInstanceTemplate'] !== undefined) {
    throw invalid(
      'resource.sourceInstanceTemplate',
      r['sourceInstanceTemplate'],
      'Not supported by this fake.',
    );
  }
  if (r['count'] === undefined) throw required('resource.count');
  const count = int64(r['count'], 'resource.count');
  if (count < 1 || count > 5000) throw invalid('resource.count', r['count'], 'Must be between 1 and 5000.');
  const minCount = r['minCount'] === undefined ? count : int64(r['minCount'], 'resource.minCount');
  if (minCount < 1 || minCount > count) {
    throw invalid('resource.minCount', r['minCount'], 'Must be at least 1 and at most count.');
  }
  const per =
    r['perInstanceProperties'] === undefined
      ? {}
      : asObject(r['perInstanceProperties'], 'resource.perInstanceProperties');
  const requested = Object.keys(per);
  const pattern = r['namePattern'] === undefined ? undefined : String(r['namePattern']);
  if (pattern === undefined && requested.length === 0) {
    throw invalid('resource', '', 'Either namePattern or perInstanceProperties must be set.');
  }
  if (pattern === undefined && requested.length !== count) {
    throw invalid(
      'resource.count',
      String(count),
      `Without namePattern, count must equal the number of instances in perInstanceProperties (${requested.length}).`,
    );
  }
  if (requested.length > count) {
    throw invalid('resource.perInstanceProperties', '', 'More instances than count.');
  }
  for (const name of requested) {
    if (!NAME.test(name)) {
      throw invalid(
        `resource.perInstanceProperties[${name}]`,
        name,
        `Must be a match of regex '${NAME_REGEX_TEXT}'`,
      );
    }
  }
  const names = [...requested];
  if (pattern !== undefined)
    names.push(...patternNames(pattern, count - names.length, (n) => exists(n) || names.includes(n)));
  for (const name of names) {
    if (exists(name))
      throw new ApiError(
        409,
        'alreadyExists',
        `The resource 'projects/${ctx.project}/zones/${ctx.zone}/instances/${name}' already exists`,
      );
  }
  if (r['instanceProperties'] === undefined) throw required('resource.instanceProperties');
  const props = asObject(r['instanceProperties'], 'resource.instanceProperties');
  const image = validateProperties(props, ctx, 'resource.instanceProperties');
  return { names, minCount, properties: props, image };
}

function patternNames(pattern: string, howMany: number, taken: (name: string) => boolean): string[] {
  const runs = pattern.match(/#+/g) ?? [];
  if (runs.length !== 1 || runs[0]!.length > 18) {
    throw invalid(
      'resource.namePattern',
      pattern,
      'Must contain one continuous sequence of 1 to 18 "#" characters.',
    );
  }
  const width = runs[0]!.length;
  const names: string[] = [];
  for (let i = 1; names.length < howMany; i++) {
    const name = pattern.replace(/#+/, String(i).padStart(width, '0'));
    if (!NAME.test(name))
      throw invalid('resource.namePattern', pattern, `Generates the invalid name '${name}'.`);
    if (!taken(name)) names.push(name);
  }
  return names;
}

/** InstanceProperties rules; returns the boot image. */
function validateProperties(p: Record<string, unknown>, ctx: ValidationContext, at: string): CatalogImage {
  const machineType = p['machineType'];
  if (machineType === undefined || machineType === '') throw required(`${at}.machineType`);
  if (String(machineType).includes('/')) {
    // The published reference: a URL here "will result in an INTERNAL_ERROR"; the fake says why.
    throw invalid(
      `${at}.machineType`,
      machineType,
      'This field only accepts a machine type name, for example n2-standard-4.',
    );
  }
  if (!isMachineType(String(machineType))) {
    throw invalid(
      `${at}.machineType`,
      machineType,
      `Machine type with name '${machineType}' does not exist in zone '${ctx.zone}'.`,
    );
  }
  validateLabels(p['labels'], `${at}.labels`);
  validateTags(p['tags'], `${at}.tags`);
  validateMetadata(p['metadata'], `${at}.metadata`);
  const image = validateDisks(p['disks'], ctx, at);
  validateNetworkInterfaces(p['networkInterfaces'], ctx, at);
  const accelerators = validateAccelerators(p['guestAccelerators'], ctx, at);
  validateScheduling(p['scheduling'], accelerators, at);
  const platform = p['minCpuPlatform'];
  if (platform !== undefined && !CPU_PLATFORMS.has(String(platform))) {
    throw invalid(`${at}.minCpuPlatform`, platform, 'Unknown CPU platform.');
  }
  return image;
}

function validateLabels(value: unknown, at: string): void {
  if (value === undefined) return;
  const labels = asObject(value, at);
  const entries = Object.entries(labels);
  if (entries.length > 64) throw invalid(at, '', 'At most 64 labels are allowed.');
  for (const [key, v] of entries) {
    if (!LABEL_KEY.test(key)) {
      throw invalid(
        at,
        '',
        `Label key '${key}' violates format constraints. The key must start with a lowercase character, can only contain lowercase letters, numeric characters, underscores and dashes. The key can be at most 63 characters long. International characters are allowed.`,
      );
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) {
      throw invalid(
        at,
        '',
        `Label value '${String(v)}' violates format constraints. The value can only contain lowercase letters, numeric characters, underscores and dashes. The value can be at most 63 characters long. International characters are allowed.`,
      );
    }
  }
}

function validateTags(value: unknown, at: string): void {
  if (value === undefined) return;
  const items = asObject(value, at)['items'];
  if (items === undefined) return;
  if (!Array.isArray(items)) throw invalid(`${at}.items`, items, 'Must be a list.');
  if (items.length > 64) throw invalid(`${at}.items`, '', 'At most 64 tags are allowed.');
  items.forEach((tag, i) => {
    if (typeof tag !== 'string' || !NAME.test(tag)) {
      throw invalid(`${at}.items[${i}]`, tag, `Must be a match of regex '${NAME_REGEX_TEXT}'`);
    }
  });
}

function validateMetadata(value: unknown, at: string): void {
  if (value === undefined) return;
  const items = asObject(value, at)['items'];
  if (items === undefined) return;
  if (!Array.isArray(items)) throw invalid(`${at}.items`, items, 'Must be a list.');
  const seen = new Set<string>();
  let total = 0;
  items.forEach((item, i) => {
    const { key, value: v } = asObject(item, `${at}.items[${i}]`);
    if (typeof key !== 'string' || !METADATA_KEY.test(key)) {
      throw invalid(`${at}.items[${i}].key`, key, "Must be a match of regex '[a-zA-Z0-9-_]{1,128}'");
    }
    if (seen.has(key)) throw invalid(`${at}.items[${i}].key`, key, 'Duplicate metadata key.');
    seen.add(key);
    const text = typeof v === 'string' ? v : '';
    if (Buffer.byteLength(text) > 256 * 1024)
      throw invalid(`${at}.items[${i}].value`, '', 'Value exceeds 256 KB.');
    total += Buffer.byteLength(text) + key.length;
  });
  if (total > 512 * 1024) throw invalid(at, '', 'Metadata exceeds the 512 KB limit.');
}

function validateDisks(value: unknown, ctx: ValidationContext, at: string): CatalogImage {
  if (!Array.isArray(value) || value.length === 0)
    throw invalid(`${at}.disks`, '', 'Boot disk must be specified.');
  const disks = value.map((d, i) => asObject(d, `${at}.disks[${i}]`));
  if (disks.filter((d) => d['boot'] === true).length !== 1 || disks[0]!['boot'] !== true) {
    throw invalid(`${at}.disks`, '', 'Boot disk must be the first disk attached to the instance.');
  }
  let image: CatalogImage | undefined;
  disks.forEach((d, i) => {
    const path = `${at}.disks[${i}]`;
    const type = d['type'] ?? 'PERSISTENT';
    const init =
      d['initializeParams'] === undefined ? {} : asObject(d['initializeParams'], `${path}.initializeParams`);
    const diskType = init['diskType'] === undefined ? undefined : String(init['diskType']);
    if (diskType?.includes('/')) {
      throw invalid(
        `${path}.initializeParams.diskType`,
        diskType,
        'Specify the disk type name, for example pd-balanced.',
      );
    }
    if (diskType !== undefined && !DISK_TYPES.has(diskType)) {
      throw notFound(`projects/${ctx.project}/zones/${ctx.zone}/diskTypes/${diskType}`);
    }
    if (type === 'SCRATCH') {
      if (diskType !== 'local-ssd')
        throw invalid(
          `${path}.initializeParams.diskType`,
          diskType,
          'Scratch disks must use disk type local-ssd.',
        );
      if (d['interface'] !== undefined && d['interface'] !== 'SCSI' && d['interface'] !== 'NVME') {
        throw invalid(`${path}.interface`, d['interface'], 'Must be SCSI or NVME.');
      }
      if (d['boot'] === true) throw invalid(`${path}.boot`, 'true', 'A scratch disk cannot be a boot disk.');
      return;
    }
    if (type !== 'PERSISTENT') throw invalid(`${path}.type`, type, 'Must be PERSISTENT or SCRATCH.');
    if (diskType === 'local-ssd')
      throw invalid(`${path}.initializeParams.diskType`, diskType, 'local-ssd is for SCRATCH disks only.');
    if (d['boot'] !== true) return;
    const source = init['sourceImage'];
    if (source === undefined || source === '') throw required(`${path}.initializeParams.sourceImage`);
    image = findImage(String(source), ctx, `${path}.initializeParams.sourceImage`);
    if (init['diskSizeGb'] !== undefined) {
      const size = int64(init['diskSizeGb'], `${path}.initializeParams.diskSizeGb`);
      if (size < image.diskSizeGb) {
        throw invalid(
          `${path}.initializeParams.diskSizeGb`,
          String(size),
          `Requested disk size cannot be smaller than the image size (${image.diskSizeGb} GB).`,
        );
      }
      if (size > 65536)
        throw invalid(
          `${path}.initializeParams.diskSizeGb`,
          String(size),
          'Disk size cannot be larger than 65536 GB.',
        );
    }
  });
  return image!;
}

/** Resolves an image reference (URL, `projects/P/global/images/[family/]X`, `global/images/...`). */
export function findImage(
  source: string,
  ctx: Pick<ValidationContext, 'project' | 'projectImages'>,
  field: string,
): CatalogImage {
  const m =
    /^(?:https:\/\/[^/]+\/compute\/v1\/)?(?:projects\/([^/]+)\/)?global\/images\/(family\/)?([^/]+)$/.exec(
      source,
    );
  if (!m) throw invalid(field, source, 'The URL is malformed.');
  const project = m[1] ?? ctx.project;
  const all = [...PUBLIC_IMAGES, ...ctx.projectImages];
  const hit = all.find((i) => i.project === project && (m[2] ? i.family === m[3] : i.name === m[3]));
  if (!hit) throw notFound(`projects/${project}/global/images/${m[2] ?? ''}${m[3]}`);
  return hit;
}

function validateNetworkInterfaces(value: unknown, ctx: ValidationContext, at: string): void {
  if (!Array.isArray(value) || value.length === 0) throw required(`${at}.networkInterfaces`);
  value.forEach((nicValue, i) => {
    const path = `${at}.networkInterfaces[${i}]`;
    const nic = asObject(nicValue, path);
    const network = nic['network'] === undefined ? undefined : String(nic['network']);
    const subnetwork = nic['subnetwork'] === undefined ? undefined : String(nic['subnetwork']);
    if (network === undefined && subnetwork === undefined) {
      throw invalid(`${path}.network`, '', 'A network or a subnetwork must be specified.');
    }
    if (network !== undefined) {
      const m = /^(?:https:\/\/[^/]+\/compute\/v1\/)?(?:projects\/([^/]+)\/)?global\/networks\/([^/]+)$/.exec(
        network,
      );
      if (!m) throw invalid(`${path}.network`, network, 'The URL is malformed.');
      if ((m[1] ?? ctx.project) !== ctx.project || !ctx.networks.has(m[2]!)) {
        throw notFound(`projects/${m[1] ?? ctx.project}/global/networks/${m[2]}`);
      }
    }
    if (subnetwork !== undefined) {
      const m =
        /^(?:https:\/\/[^/]+\/compute\/v1\/)?(?:projects\/([^/]+)\/)?regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(
          subnetwork,
        );
      if (!m) throw invalid(`${path}.subnetwork`, subnetwork, 'The URL is malformed.');
      if (m[2] !== regionOf(ctx.zone)) {
        throw invalid(
          `${path}.subnetwork`,
          subnetwork,
          `Subnetwork must be in region ${regionOf(ctx.zone)}, the region of zone ${ctx.zone}.`,
        );
      }
      if (!ctx.subnetworks.has(`${m[2]}/${m[3]}`)) {
        throw notFound(`projects/${m[1] ?? ctx.project}/regions/${m[2]}/subnetworks/${m[3]}`);
      }
    }
    const access = nic['accessConfigs'];
    if (access !== undefined) {
      if (!Array.isArray(access) || access.length > 1) {
        throw invalid(`${path}.accessConfigs`, '', 'At most one access config per network interface.');
      }
      for (const a of access) {
        const type = asObject(a, `${path}.accessConfigs[0]`)['type'] ?? 'ONE_TO_ONE_NAT';
        if (type !== 'ONE_TO_ONE_NAT')
          throw invalid(`${path}.accessConfigs[0].type`, type, 'Must be ONE_TO_ONE_NAT.');
      }
    }
  });
}

function validateAccelerators(value: unknown, ctx: ValidationContext, at: string): number {
  if (value === undefined) return 0;
  if (!Array.isArray(value)) throw invalid(`${at}.guestAccelerators`, value, 'Must be a list.');
  let total = 0;
  value.forEach((a, i) => {
    const path = `${at}.guestAccelerators[${i}]`;
    const { acceleratorType, acceleratorCount } = asObject(a, path);
    const type = String(acceleratorType ?? '');
    if (type === '') throw required(`${path}.acceleratorType`);
    if (type.includes('/'))
      throw invalid(
        `${path}.acceleratorType`,
        type,
        'Specify only the accelerator name, for example nvidia-tesla-t4.',
      );
    if (!ACCELERATOR_TYPES.has(type))
      throw notFound(`projects/${ctx.project}/zones/${ctx.zone}/acceleratorTypes/${type}`);
    const count = Number(acceleratorCount);
    if (!Number.isInteger(count) || count < 1)
      throw invalid(`${path}.acceleratorCount`, acceleratorCount, 'Must be at least 1.');
    total += count;
  });
  return total;
}

function validateScheduling(value: unknown, accelerators: number, at: string): void {
  const s = value === undefined ? {} : asObject(value, `${at}.scheduling`);
  const model = s['provisioningModel'];
  const spot = model === 'SPOT';
  const preemptible = s['preemptible'] === true;
  const ohm = s['onHostMaintenance'];
  if (model !== undefined && model !== 'STANDARD' && model !== 'SPOT') {
    throw invalid(`${at}.scheduling.provisioningModel`, model, 'Must be STANDARD or SPOT.');
  }
  if (ohm !== undefined && ohm !== 'MIGRATE' && ohm !== 'TERMINATE') {
    throw invalid(`${at}.scheduling.onHostMaintenance`, ohm, 'Must be MIGRATE or TERMINATE.');
  }
  if ((preemptible || spot) && s['automaticRestart'] === true) {
    throw invalid(
      `${at}.scheduling.automaticRestart`,
      'true',
      'Preemptible and Spot instances cannot be automatically restarted.',
    );
  }
  if ((preemptible || spot) && ohm === 'MIGRATE') {
    throw invalid(
      `${at}.scheduling.onHostMaintenance`,
      ohm,
      'Preemptible and Spot instances must terminate on host maintenance.',
    );
  }
  const action = s['instanceTerminationAction'];
  if (action !== undefined) {
    if (action !== 'STOP' && action !== 'DELETE')
      throw invalid(`${at}.scheduling.instanceTerminationAction`, action, 'Must be STOP or DELETE.');
    if (!spot)
      throw invalid(
        `${at}.scheduling.instanceTerminationAction`,
        action,
        'Only Spot VMs have a termination action.',
      );
  }
  if (accelerators > 0 && !preemptible && !spot && ohm !== 'TERMINATE') {
    throw invalid(
      `${at}.scheduling.onHostMaintenance`,
      ohm ?? 'MIGRATE',
      'Instances with guest accelerators do not support live migration.',
    );
  }
}

function asObject(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(field, value, 'Must be an object.');
  return value as Record<string, unknown>;
}

/** int64 fields arrive as JSON strings (or numbers from lenient clients). */
function int64(value: unknown, field: string): number {
  const n =
    typeof value === 'string' && /^-?\d+$/.test(value)
      ? Number(value)
      : typeof value === 'number'
        ? value
        : NaN;
  if (!Number.isInteger(n)) throw invalid(field, value, 'Must be an integer.');
  return n;
}
