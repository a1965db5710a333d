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
import {
  type OpenStackCloudSettings,
  type OpenStackKindSettings,
  readOpenStackKindSettings,
} from './settings.js';

interface Limits {
  maxTotalInstances?: number;
  totalInstancesUsed?: number;
  maxTotalCores?: number;
  totalCoresUsed?: number;
}

/** What the steps of one preflight share: the clients, what is checked, and the report being filled. */
interface Run extends PreflightReport {
  client: OpenStackClient;
  nova: Nova;
  cloud: OpenStackCloudSettings;
  request: PreflightRequest;
  template: string;
  fail: (id: string, error: unknown, action: string, kind?: string, settings?: object) => undefined;
  /** Lookups shared by kinds that name the same image or flavor. */
  images: Map<string, Promise<unknown>>;
  flavors: Map<string, Promise<NovaFlavor | undefined>>;
  /** Security groups already listed in `resources`. */
  seenGroups: Set<string>;
  /** What the kinds would add, for the project's limits. */
  instances: number;
  cores: number;
}

/** Runs the preflight; never creates, changes or deletes anything. */
export async function openStackPreflight(
  client: OpenStackClient,
  nova: Nova,
  cloud: OpenStackCloudSettings,
  request: PreflightRequest,
): Promise<PreflightReport> {
  const run = newRun(client, nova, cloud, request);
  const report = (): PreflightReport => ({ checks: run.checks, kinds: run.kinds, resources: run.resources });
  if (!(await checkAccess(run))) return report();
  await checkKeyPair(nova, request.cluster, request, run.checks, run.resources, run.fail);
  const groups = await client
    .listAll<NeutronSecurityGroup>('network', '/v2.0/security-groups', 'security_groups', {
      signal: request.signal,
    })
    .catch((error: unknown) => run.fail('security-group', error, 'list security groups'));
  for (const kind of request.kinds) await checkKind(run, kind, groups);
  if (request.kinds.length > 0) {
    await checkLimits(nova, run.instances, run.cores, run.checks, run.fail, request.signal);
  }
  return report();
}

function newRun(
  client: OpenStackClient,
  nova: Nova,
  cloud: OpenStackCloudSettings,
  request: PreflightRequest,
): Run {
  const section = cloud.section;
  const template = request.template ?? request.cluster.name;
  const checks: PreflightCheck[] = [];
  const fail = (id: string, error: unknown, action: string, kind?: string, settings?: object) => {
    if (request.signal?.aborted) throw error;
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
  return {
    client,
    nova,
    cloud,
    request,
    template,
    fail,
    checks,
    kinds: [],
    resources: [],
    images: new Map(),
    flavors: new Map(),
    seenGroups: new Set(),
    instances: 0,
    cores: 0,
  };
}

/** Credentials, project and region: a token and its catalog. False when the rest cannot be checked. */
async function checkAccess(run: Run): Promise<boolean> {
  const { client, checks, cloud } = run;
  try {
    const token = await client.tokenInfo(run.request.signal);
    checks.push({
      id: 'credentials',
      status: 'ok',
      message: `Keystone accepts the credentials of [${cloud.section}]`,
    });
    checks.push({
      id: 'project',
      status: 'ok',
      message: `project ${token.projectName ?? token.projectId ?? '(from the token)'}`,
    });
    // The catalog must list compute, network and image endpoints in the region.
    for (const service of ['compute', 'network', 'image'] as const) await client.endpoint(service);
    checks.push({ id: 'region', status: 'ok', message: `region ${cloud.region ?? '(the catalog default)'}` });
    return true;
  } catch (error) {
    const id = checks.length === 0 ? 'credentials' : 'region';
    run.fail(id, error, id === 'credentials' ? 'authenticate' : 'find the endpoints in the catalog');
    return false;
  }
}

/** One kind's image, flavor, networks, floating IPs and security groups. */
async function checkKind(
  run: Run,
  kind: PreflightRequest['kinds'][number],
  groups: NeutronSecurityGroup[] | undefined,
): Promise<void> {
  let settings: OpenStackKindSettings;
  try {
    settings = readOpenStackKindSettings(kind.settings, run.cloud, {
      template: run.template,
      kind: kind.kind,
    });
  } catch (error) {
    run.fail('settings', error, 'read the node settings', kind.kind);
    return;
  }
  const lookup: KindLookup = {
    kind: kind.kind,
    where: { template: run.template, kind: kind.kind, section: run.cloud.section },
    raw: kind.settings as Record<string, unknown>,
  };
  const image = await checkImage(run, settings.image, lookup);
  const flavor = await checkFlavor(run, settings.flavor, lookup);
  run.cores += (flavor?.vcpus ?? 0) * kind.count;
  run.instances += kind.count;
  await checkNetworks(run, settings, lookup);
  if (settings.requestFloatingIp) await planFloatingIps(run, settings, lookup, kind.count);
  const names =
    settings.securityGroups.length > 0 ? settings.securityGroups : [securityGroupName(run.request.cluster)];
  if (groups) planSecurityGroups(run, names, groups, settings, kind.kind);
  const zones = settings.availabilityZones;
  run.kinds.push({
    kind: kind.kind,
    image: image ? `${settings.image} (${image.id})` : settings.image,
    flavor: settings.flavor,
    ...(zones.length > 0 ? { placement: zones.join(', then ') } : {}),
    securityGroups: names,
  });
}

/** Where a kind's lookups report: its name, the lookup context and its raw settings for messages. */
interface KindLookup {
  kind: string;
  where: LookupContext;
  raw: Record<string, unknown>;
}

async function checkImage(
  run: Run,
  name: string,
  { kind, where, raw }: KindLookup,
): Promise<{ id: string; name?: string | null } | undefined> {
  const image = (await memo(run.images, name, () =>
    findImage(run.client, name, where, run.request.signal).catch((e: unknown) =>
      run.fail('image', e, `look up image ${name}`, kind, raw),
    ),
  )) as { id: string; name?: string | null } | undefined;
  if (image) {
    run.checks.push({
      id: 'image',
      status: 'ok',
      kind,
      message: `image_id=${name}: ${image.name ?? image.id} (${image.id})`,
    });
  }
  return image;
}

async function checkFlavor(run: Run, name: string, { kind, where, raw }: KindLookup) {
  const flavor = await memo(run.flavors, name, () =>
    findFlavor(run.nova, name, where, run.request.signal).catch((e: unknown) =>
      run.fail('flavor', e, `look up flavor ${name}`, kind, raw),
    ),
  );
  if (flavor) {
    run.checks.push({
      id: 'flavor',
      status: 'ok',
      kind,
      message: `flavor=${name}: ${flavor.vcpus ?? '?'} vCPU, ${((flavor.ram ?? 0) / 1024).toFixed(1)} GiB`,
    });
  }
  return flavor;
}

/** network_ids (each `a|b` choice), or the project's default network. */
async function checkNetworks(run: Run, settings: OpenStackKindSettings, { kind, where, raw }: KindLookup) {
  const { client } = run;
  const signal = run.request.signal;
  const networks = await (settings.networkChoices.length > 0
    ? Promise.all(settings.networkChoices.map((choice) => findNetworks(client, choice, where, signal)))
    : defaultNetwork(client, where, signal).then((n) => [[n]])
  ).catch((e: unknown) => run.fail('network', e, 'look up networks', kind, raw));
  if (networks) {
    run.checks.push({
      id: 'network',
      status: 'ok',
      kind,
      message: `network ${networks.map((set) => set.map((n) => n.name || n.id).join('+')).join(', else ')}`,
    });
  }
}

async function planFloatingIps(
  run: Run,
  settings: OpenStackKindSettings,
  { kind, where, raw }: KindLookup,
  count: number,
): Promise<void> {
  const external = await floatingNetwork(
    run.client,
    settings.floatingNetwork,
    where,
    run.request.signal,
  ).catch((e: unknown) => run.fail('floating-ip', e, 'look up the external network', kind, raw));
  if (external) {
    run.resources.push({
      type: 'floating-ip',
      name: `${count} from ${external.name || external.id}`,
      action: 'create',
      detail: `for kind ${kind}; released at stop`,
    });
  }
}

/** Each security group once: used when it exists, else created (a warning when the template named it). */
function planSecurityGroups(
  run: Run,
  names: readonly string[],
  groups: readonly NeutronSecurityGroup[],
  settings: OpenStackKindSettings,
  kind: string,
): void {
  for (const name of names) {
    if (run.seenGroups.has(name)) continue;
    run.seenGroups.add(name);
    const group = groups.find((g) => g.id === name) ?? groups.find((g) => g.name === name);
    run.resources.push(
      group
        ? { type: 'security-group', name: `${group.name} (${group.id})`, action: 'use' }
        : {
            type: 'security-group',
            name,
            action: 'create',
            detail: `SSH from ${run.cloud.sshCidr}, all traffic between the cluster's nodes; removed at stop`,
          },
    );
    if (!group && settings.securityGroups.length > 0) {
      run.checks.push({
        id: 'security-group',
        status: 'warn',
        kind,
        message: `[cluster/${run.template}] security_group=${name} does not exist; start would create it`,
        hint: 'If you meant an existing group, fix the name ("openstack security group list").',
      });
    }
  }
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
