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

/** Runs the preflight; `api` resolves credentials (and rejects without any). */
export async function gcePreflight(
  api: () => Promise<GceApi>,
  settings: GceCloudSettings,
  request: PreflightRequest,
): Promise<PreflightReport> {
  const checks: PreflightCheck[] = [];
  const kinds: KindPlacement[] = [];
  const section = settings.section;
  const template = request.template ?? request.cluster.name;
  const fail = (id: string, error: unknown, action: string, kind?: PreflightKind) => {
    const mapped =
      error instanceof HerdError
        ? error
        : toProviderError(
            describeApiError(error),
            {
              action,
              section,
              project: settings.project,
              template,
              ...(kind ? { kind: kind.kind, settings: kind.settings } : {}),
            },
            error,
          );
    checks.push(failedCheck(id, mapped, kind?.kind));
  };

  let client: GceApi;
  try {
    client = await api();
    // The first zone answers for the credentials and the project as well.
    await client.getZone(settings.zones[0]!);
  } catch (error) {
    const failure = describeApiError(error);
    const id =
      error instanceof ProviderError || failure.status === 401 || failure.status === 403
        ? 'credentials'
        : 'project';
    if (id === 'project' && /zones\//.test(failure.message)) {
      checks.push(...credentialsOk(), {
        id: 'project',
        status: 'ok',
        message: `gce_project_id=${settings.project}`,
      });
      fail('zone', error, `look up zone ${settings.zones[0]}`);
    } else {
      if (id === 'project') checks.push(...credentialsOk());
      fail(id, error, `look up zone ${settings.zones[0]}`);
    }
    return { checks, kinds, resources: [] };
  }
  checks.push(...credentialsOk(), {
    id: 'project',
    status: 'ok',
    message: `gce_project_id=${settings.project} exists`,
  });
  const zones: string[] = [];
  for (const zone of settings.zones) {
    try {
      const found = await client.getZone(zone);
      if (found.status && found.status !== 'UP') {
        checks.push({
          id: 'zone',
          status: 'warn',
          message: `zone ${zone} is ${found.status}`,
          hint: `Put a zone that is UP first in zone= of [${section}].`,
        });
      }
      zones.push(zone);
    } catch (error) {
      fail('zone', error, `look up zone ${zone}`);
    }
  }
  if (zones.length > 0) checks.push({ id: 'zone', status: 'ok', message: `zone=${zones.join(',')}` });

  const images = new Map<string, Promise<GceImage>>();
  const types = new Map<string, Promise<GceMachineType>>();
  let cpus = 0;
  let instances = 0;
  for (const kind of request.kinds) {
    const imageId = String(kind.settings['image_id'] ?? '');
    const flavor = String(kind.settings['flavor'] ?? '');
    const source = imageId === '' ? undefined : resolveImage(imageId, settings.project);
    let imageText = imageId;
    if (source) {
      const image = await memo(images, source, () => fetchImage(client, source, settings.project)).catch(
        (error: unknown) => fail('image', error, `look up image ${source}`, kind),
      );
      if (image) {
        imageText = `${source} (${image.name})`;
        checks.push({
          id: 'image',
          status: 'ok',
          kind: kind.kind,
          message: `image_id=${imageId}: ${image.name}${image.architecture ? `, ${image.architecture}` : ''}`,
        });
      }
    } else {
      checks.push(missing('image', 'image_id', template, kind));
    }
    if (flavor !== '') {
      const type = await memo(types, flavor, () =>
        client.getMachineType(zones[0] ?? settings.zones[0]!, flavor),
      ).catch((error: unknown) => fail('flavor', error, `look up machine type ${flavor}`, kind));
      if (type) {
        cpus += (type.guestCpus ?? 0) * kind.count;
        checks.push({
          id: 'flavor',
          status: 'ok',
          kind: kind.kind,
          message: `flavor=${flavor}: ${type.guestCpus ?? '?'} vCPU, ${((type.memoryMb ?? 0) / 1024).toFixed(1)} GiB`,
        });
      }
    } else {
      checks.push(missing('flavor', 'flavor', template, kind));
    }
    instances += kind.count;
    kinds.push({
      kind: kind.kind,
      image: imageText,
      flavor,
      placement: settings.zones.join(', then '),
      securityGroups: [],
    });
  }
  if (request.kinds.length > 0 && zones.length > 0)
    await checkQuota(client, zones[0]!, cpus, instances, checks, fail);
  return { checks, kinds, resources: [] };

  function credentialsOk(): PreflightCheck[] {
    return [{ id: 'credentials', status: 'ok', message: 'Compute Engine accepts the credentials' }];
  }
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
