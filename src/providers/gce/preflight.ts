/**
 * The GCE provider's read-only preflight: GET calls only. Credentials, project and zones first
 * (zones.get, which needs all three), then each kind's image and machine type, and the CPU and
 * instance quotas of the first zone's region against what the kinds would add.
 */
import { HerdError, ProviderError } from '../../errors.js';
import { memo } from '../memo.js';
import { failedCheck } from '../preflight-check.js';
import type {
  KindPlacement,
  PreflightCheck,
  PreflightKind,
  PreflightReport,
  PreflightRequest,
} from '../types.js';
import type { GceApi, GceImage, GceMachineType } from './api.js';
import { describeApiError, toProviderError } from './errors.js';
import { resolveImage } from './image.js';
import { type GceCloudSettings, regionOf } from './settings.js';

type Fail = (id: string, error: unknown, action: string, kind?: PreflightKind) => undefined;

/** What the steps of one preflight share: the client, the settings, and the report being filled. */
interface Run {
  client: GceApi;
  settings: GceCloudSettings;
  template: string;
  checks: PreflightCheck[];
  kinds: KindPlacement[];
  fail: Fail;
  /** The zones that answered, in the order of zone=. */
  zones: string[];
  /** Lookups shared by kinds that name the same image or machine type. */
  images: Map<string, Promise<GceImage>>;
  types: Map<string, Promise<GceMachineType>>;
  /** What the kinds would add, for the region's quotas. */
  cpus: number;
  instances: number;
}

/** Runs the preflight; `api` resolves credentials (and rejects without any). */
export async function gcePreflight(
  api: () => Promise<GceApi>,
  settings: GceCloudSettings,
  request: PreflightRequest,
): Promise<PreflightReport> {
  const checks: PreflightCheck[] = [];
  const template = request.template ?? request.cluster.name;
  const fail = failInto(checks, settings, template);
  const client = await connect(api, settings, checks, fail);
  if (!client) return { checks, kinds: [], resources: [] };
  const run: Run = {
    client,
    settings,
    template,
    checks,
    kinds: [],
    fail,
    zones: [],
    images: new Map(),
    types: new Map(),
    cpus: 0,
    instances: 0,
  };
  await checkZones(run);
  for (const kind of request.kinds) await checkKind(run, kind);
  if (request.kinds.length > 0 && run.zones.length > 0)
    await checkQuota(client, run.zones[0]!, run.cpus, run.instances, checks, fail);
  return { checks, kinds: run.kinds, resources: [] };
}

/** Records a failed check, the error mapped to a ProviderError naming the section (and kind) at fault. */
function failInto(checks: PreflightCheck[], settings: GceCloudSettings, template: string): Fail {
  return (id, error, action, kind) => {
    const mapped =
      error instanceof HerdError
        ? error
        : toProviderError(
            describeApiError(error),
            {
              action,
              section: settings.section,
              project: settings.project,
              template,
              ...(kind ? { kind: kind.kind, settings: kind.settings } : {}),
            },
            error,
          );
    checks.push(failedCheck(id, mapped, kind?.kind));
    return undefined;
  };
}

function credentialsOk(): PreflightCheck {
  return { id: 'credentials', status: 'ok', message: 'Compute Engine accepts the credentials' };
}

/**
 * Credentials and project: the first zone answers for both. Undefined, with the failed check said
 * (credentials, project or zone), when the rest cannot be checked.
 */
async function connect(
  api: () => Promise<GceApi>,
  settings: GceCloudSettings,
  checks: PreflightCheck[],
  fail: Fail,
): Promise<GceApi | undefined> {
  const first = settings.zones[0]!;
  try {
    const client = await api();
    await client.getZone(first);
    checks.push(credentialsOk(), {
      id: 'project',
      status: 'ok',
      message: `gce_project_id=${settings.project} exists`,
    });
    return client;
  } catch (error) {
    const failure = describeApiError(error);
    const id =
      error instanceof ProviderError || failure.status === 401 || failure.status === 403
        ? 'credentials'
        : 'project';
    if (id === 'project' && /zones\//.test(failure.message)) {
      checks.push(credentialsOk(), {
        id: 'project',
        status: 'ok',
        message: `gce_project_id=${settings.project}`,
      });
      fail('zone', error, `look up zone ${first}`);
    } else {
      if (id === 'project') checks.push(credentialsOk());
      fail(id, error, `look up zone ${first}`);
    }
    return undefined;
  }
}

/** Each zone of zone= exists; a zone that is not UP is a warning. */
async function checkZones(run: Run): Promise<void> {
  for (const zone of run.settings.zones) {
    try {
      const found = await run.client.getZone(zone);
      if (found.status && found.status !== 'UP') {
        run.checks.push({
          id: 'zone',
          status: 'warn',
          message: `zone ${zone} is ${found.status}`,
          hint: `Put a zone that is UP first in zone= of [${run.settings.section}].`,
        });
      }
      run.zones.push(zone);
    } catch (error) {
      run.fail('zone', error, `look up zone ${zone}`);
    }
  }
  if (run.zones.length > 0)
    run.checks.push({ id: 'zone', status: 'ok', message: `zone=${run.zones.join(',')}` });
}

/** One kind's image and machine type. */
async function checkKind(run: Run, kind: PreflightKind): Promise<void> {
  const imageId = String(kind.settings['image_id'] ?? '');
  const flavor = String(kind.settings['flavor'] ?? '');
  const imageText = await checkImage(run, imageId, kind);
  await checkMachineType(run, flavor, kind);
  run.instances += kind.count;
  run.kinds.push({
    kind: kind.kind,
    image: imageText,
    flavor,
    placement: run.settings.zones.join(', then '),
    securityGroups: [],
  });
}

/** The image of image_id; returns how the plan names it. */
async function checkImage(run: Run, imageId: string, kind: PreflightKind): Promise<string> {
  const { client, settings } = run;
  const source = imageId === '' ? undefined : resolveImage(imageId, settings.project);
  if (!source) {
    run.checks.push(missing('image', 'image_id', run.template, kind));
    return imageId;
  }
  const image = await memo(run.images, source, () => fetchImage(client, source, settings.project)).catch(
    (error: unknown) => run.fail('image', error, `look up image ${source}`, kind),
  );
  if (!image) return imageId;
  run.checks.push({
    id: 'image',
    status: 'ok',
    kind: kind.kind,
    message: `image_id=${imageId}: ${image.name}${image.architecture ? `, ${image.architecture}` : ''}`,
  });
  return `${source} (${image.name})`;
}

/** The machine type of flavor in the first zone that answered; adds its CPUs to the run's total. */
async function checkMachineType(run: Run, flavor: string, kind: PreflightKind): Promise<void> {
  if (flavor === '') {
    run.checks.push(missing('flavor', 'flavor', run.template, kind));
    return;
  }
  const zone = run.zones[0] ?? run.settings.zones[0]!;
  const type = await memo(run.types, flavor, () => run.client.getMachineType(zone, flavor)).catch(
    (error: unknown) => run.fail('flavor', error, `look up machine type ${flavor}`, kind),
  );
  if (!type) return;
  run.cpus += (type.guestCpus ?? 0) * kind.count;
  run.checks.push({
    id: 'flavor',
    status: 'ok',
    kind: kind.kind,
    message: `flavor=${flavor}: ${type.guestCpus ?? '?'} vCPU, ${((type.memoryMb ?? 0) / 1024).toFixed(1)} GiB`,
  });
}

/** The image at a resolveImage path, by name or family. */
function fetchImage(client: GceApi, source: string, project: string): Promise<GceImage> {
  const path = source.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '');
  const m = /^(?:projects\/([^/]+)\/)?global\/images\/(family\/)?([^/]+)$/.exec(path);
  if (!m)
    return Promise.reject(new Error(`"${source}" is not an image path (projects/P/global/images/NAME)`));
  return client.getImage(m[1] ?? project, m[3]!, m[2] !== undefined);
}

/** CPUS and INSTANCES of the region: what is left against what the kinds would add. */
async function checkQuota(
  client: GceApi,
  zone: string,
  cpus: number,
  instances: number,
  checks: PreflightCheck[],
  fail: (id: string, error: unknown, action: string) => void,
): Promise<void> {
  const region = regionOf(zone);
  let quotas: { metric: string; limit: number; usage: number }[];
  try {
    quotas = (await client.getRegion(region)).quotas ?? [];
  } catch (error) {
    fail('quota', error, `look up region ${region}`);
    return;
  }
  for (const [metric, wanted] of [
    ['CPUS', cpus],
    ['INSTANCES', instances],
  ] as const) {
    const quota = quotas.find((q) => q.metric === metric);
    if (!quota) continue;
    const left = Number(quota.limit) - Number(quota.usage);
    const message = `${metric} in ${region}: ${quota.usage} of ${quota.limit} used, ${wanted} more requested`;
    checks.push(
      wanted <= left
        ? { id: 'quota', status: 'ok', message }
        : {
            id: 'quota',
            status: 'warn',
            message,
            hint: `Ask for more ${metric} quota in ${region} (gcloud compute regions describe ${region}), add zones of another region to zone=, or start fewer nodes.`,
          },
    );
  }
}

function missing(id: string, key: string, template: string, kind: PreflightKind): PreflightCheck {
  return {
    id,
    status: 'fail',
    kind: kind.kind,
    message: `[cluster/${template}] ${key} is not set for kind ${kind.kind}`,
    hint: `Set ${key} in [cluster/${template}] or [cluster/${template}/${kind.kind}].`,
  };
}
