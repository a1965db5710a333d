/**
 * The OpenStack provider's read-only preflight: a token (Keystone's POST /v3/auth/tokens creates
 * nothing in the project), then GET calls only. Credentials, project and region first (the token and
 * its catalog), then the key pair, each kind's image, flavor, networks and security groups, and the
 * project's instance and core limits (Nova's /limits) against what the kinds would add.
 */
import { HerdError } from '../../errors.js';
import { memo } from '../memo.js';
import { failedCheck } from '../preflight-check.js';
import type {
  ClusterRef,
  KindPlacement,
  PlannedResource,
  PreflightCheck,
  PreflightReport,
  PreflightRequest,
} from '../types.js';
import type { OpenStackClient } from './client.js';
import { toProviderError } from './errors.js';
import { keyPairName, securityGroupName } from './identity.js';
import { keyPairHolds } from './key-pair.js';
import {
  defaultNetwork,
  findFlavor,
  findImage,
  findNetworks,
  floatingNetwork,
  type LookupContext,
} from './lookup.js';
import type { Nova, NovaFlavor, NovaKeyPair } from './nova.js';
import type { NeutronSecurityGroup } from './security-group.js';
import { type OpenStackCloudSettings, readOpenStackKindSettings } from './settings.js';

interface Limits {
  maxTotalInstances?: number;
  totalInstancesUsed?: number;
  maxTotalCores?: number;
  totalCoresUsed?: number;
}

/** Runs the preflight; never creates, changes or deletes anything. */
export async function openStackPreflight(
  client: OpenStackClient,
  nova: Nova,
  cloud: OpenStackCloudSettings,
  request: PreflightRequest,
): Promise<PreflightReport> {
  const { signal } = request;
  const section = cloud.section;
  const template = request.template ?? request.cluster.name;
  const ref = request.cluster;
  const checks: PreflightCheck[] = [];
  const kinds: KindPlacement[] = [];
  const resources: PlannedResource[] = [];
  const fail = (id: string, error: unknown, action: string, kind?: string, settings?: object) => {
    if (signal?.aborted) throw error;
    const mapped =
      error instanceof HerdError
        ? error
        : toProviderError(error, {
            action,
            section,
            template,
            kind,
            settings: settings as Record<string, unknown> | undefined,
          });
    checks.push(failedCheck(id, mapped, kind));
    return undefined;
  };

  try {
    const token = await client.tokenInfo(signal);
    checks.push({
      id: 'credentials',
      status: 'ok',
      message: `Keystone accepts the credentials of [${section}]`,
    });
    checks.push({
      id: 'project',
      status: 'ok',
      message: `project ${token.projectName ?? token.projectId ?? '(from the token)'}`,
    });
    // The catalog must list compute, network and image endpoints in the region.
    for (const service of ['compute', 'network', 'image'] as const) await client.endpoint(service);
    checks.push({ id: 'region', status: 'ok', message: `region ${cloud.region ?? '(the catalog default)'}` });
  } catch (error) {
    const id = checks.length === 0 ? 'credentials' : 'region';
    fail(id, error, id === 'credentials' ? 'authenticate' : 'find the endpoints in the catalog');
    return { checks, kinds, resources };
  }

  await checkKeyPair(nova, ref, request, checks, resources, fail);

  const groups = await client
    .listAll<NeutronSecurityGroup>('network', '/v2.0/security-groups', 'security_groups', { signal })
    .catch((error: unknown) => fail('security-group', error, 'list security groups'));
  const images = new Map<string, Promise<unknown>>();
  const flavors = new Map<string, Promise<NovaFlavor | undefined>>();
  const seenGroups = new Set<string>();
  let instances = 0;
  let cores = 0;
  for (const kind of request.kinds) {
    let settings: ReturnType<typeof readOpenStackKindSettings>;
    try {
      settings = readOpenStackKindSettings(kind.settings, cloud, { template, kind: kind.kind });
    } catch (error) {
      fail('settings', error, 'read the node settings', kind.kind);
      continue;
    }
    const where: LookupContext = { template, kind: kind.kind, section };
    const raw = kind.settings as Record<string, unknown>;
    const image = await memo(images, settings.image, () =>
      findImage(client, settings.image, where, signal).catch((e: unknown) =>
        fail('image', e, `look up image ${settings.image}`, kind.kind, raw),
      ),
    );
    if (image) {
      const found = image as { id: string; name?: string | null };
      checks.push({
        id: 'image',
        status: 'ok',
        kind: kind.kind,
        message: `image_id=${settings.image}: ${found.name ?? found.id} (${found.id})`,
      });
    }
    const flavor = await memo(flavors, settings.flavor, () =>
      findFlavor(nova, settings.flavor, where, signal).catch((e: unknown) =>
        fail('flavor', e, `look up flavor ${settings.flavor}`, kind.kind, raw),
      ),
    );
    if (flavor) {
      cores += (flavor.vcpus ?? 0) * kind.count;
      checks.push({
        id: 'flavor',
        status: 'ok',
        kind: kind.kind,
        message: `flavor=${settings.flavor}: ${flavor.vcpus ?? '?'} vCPU, ${((flavor.ram ?? 0) / 1024).toFixed(1)} GiB`,
      });
    }
    instances += kind.count;
    const networks = await (settings.networkChoices.length > 0
      ? Promise.all(settings.networkChoices.map((choice) => findNetworks(client, choice, where, signal)))
      : defaultNetwork(client, where, signal).then((n) => [[n]])
    ).catch((e: unknown) => fail('network', e, 'look up networks', kind.kind, raw));
    if (networks) {
      checks.push({
        id: 'network',
        status: 'ok',
        kind: kind.kind,
        message: `network ${networks.map((set) => set.map((n) => n.name || n.id).join('+')).join(', else ')}`,
      });
    }
    if (settings.requestFloatingIp) {
      const external = await floatingNetwork(client, settings.floatingNetwork, where, signal).catch(
        (e: unknown) => fail('floating-ip', e, 'look up the external network', kind.kind, raw),
      );
      if (external) {
        resources.push({
          type: 'floating-ip',
          name: `${kind.count} from ${external.name || external.id}`,
          action: 'create',
          detail: `for kind ${kind.kind}; released at stop`,
        });
      }
    }
    const names = settings.securityGroups.length > 0 ? settings.securityGroups : [securityGroupName(ref)];
    if (groups) {
      for (const name of names) {
        if (seenGroups.has(name)) continue;
        seenGroups.add(name);
        const group = groups.find((g) => g.id === name) ?? groups.find((g) => g.name === name);
        resources.push(
          group
            ? { type: 'security-group', name: `${group.name} (${group.id})`, action: 'use' }
            : {
                type: 'security-group',
                name,
                action: 'create',
                detail: `SSH from ${cloud.sshCidr}, all traffic between the cluster's nodes; removed at stop`,
              },
        );
        if (!group && settings.securityGroups.length > 0) {
          checks.push({
            id: 'security-group',
            status: 'warn',
            kind: kind.kind,
            message: `[cluster/${template}] security_group=${name} does not exist; start would create it`,
            hint: 'If you meant an existing group, fix the name ("openstack security group list").',
          });
        }
      }
    }
    const zones = settings.availabilityZones;
    kinds.push({
      kind: kind.kind,
      image: image ? `${settings.image} (${(image as { id: string }).id})` : settings.image,
      flavor: settings.flavor,
      ...(zones.length > 0 ? { placement: zones.join(', then ') } : {}),
      securityGroups: names,
    });
  }
  if (request.kinds.length > 0) await checkLimits(nova, instances, cores, checks, fail, signal);
  return { checks, kinds, resources };
}

type Fail = (id: string, error: unknown, action: string, kind?: string) => undefined;

/** user_key_name must exist (and hold herd's key when it is known); herd's own pair is imported when missing. */
async function checkKeyPair(
  nova: Nova,
  ref: ClusterRef,
  request: PreflightRequest,
  checks: PreflightCheck[],
  resources: PlannedResource[],
  fail: Fail,
): Promise<void> {
  const name = request.login.keyName ?? keyPairName(ref);
  let pair: NovaKeyPair | undefined;
  try {
    const body = await nova.call<{ keypair: NovaKeyPair }>(
      'GET',
      `/os-keypairs/${encodeURIComponent(name)}`,
      {
        signal: request.signal,
      },
    );
    pair = body.keypair;
  } catch (error) {
    if ((error as { status?: number }).status !== 404) {
      fail('key-pair', error, `look up key pair ${name}`);
      return;
    }
  }
  if (pair && request.login.publicKey && !keyPairHolds(pair, request.login.publicKey)) {
    checks.push({
      id: 'key-pair',
      status: 'fail',
      message: `key pair "${name}" exists in Nova with another key (fingerprint ${pair.fingerprint ?? '?'})`,
      hint: `Point user_key_private/user_key_public at that pair's key, choose another user_key_name, or delete the pair if nothing uses it (openstack keypair delete ${name}).`,
    });
  } else if (pair) {
    checks.push({ id: 'key-pair', status: 'ok', message: `key pair "${name}" exists` });
    resources.push({ type: 'key-pair', name, action: 'use' });
  } else {
    resources.push({
      type: 'key-pair',
      name,
      action: 'create',
      detail: request.login.keyName
        ? 'imported from user_key_public (user_key_name of the login section)'
        : "imported from the cluster's public key; removed at stop",
    });
  }
}

/** Instances and cores left in the project (Nova's absolute limits) against what would be added. */
async function checkLimits(
  nova: Nova,
  instances: number,
  cores: number,
  checks: PreflightCheck[],
  fail: Fail,
  signal?: AbortSignal,
): Promise<void> {
  let limits: Limits;
  try {
    limits = (await nova.call<{ limits: { absolute: Limits } }>('GET', '/limits', { signal })).limits
      .absolute;
  } catch (error) {
    fail('quota', error, 'read the project limits');
    return;
  }
  for (const [what, max, used, wanted] of [
    ['instances', limits.maxTotalInstances, limits.totalInstancesUsed, instances],
    ['cores', limits.maxTotalCores, limits.totalCoresUsed, cores],
  ] as const) {
    // -1 means unlimited.
    if (max === undefined || max < 0) continue;
    const message = `${what}: ${used ?? 0} of ${max} used, ${wanted} more requested`;
    checks.push(
      wanted <= max - (used ?? 0)
        ? { id: 'quota', status: 'ok', message }
        : {
            id: 'quota',
            status: 'warn',
            message,
            hint: `Quotas apply to the whole project: start fewer nodes or a smaller flavor, remove unused servers ("openstack limits show --absolute"), or ask the cloud operators for more ${what}.`,
          },
    );
  }
}
