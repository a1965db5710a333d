/**
 * The EC2 provider's read-only preflight: Describe* calls only. Credentials and region first (one
 * DescribeAvailabilityZones), then the key pair, and each kind's AMI, instance type, network and
 * security group.
 */
import type { _InstanceType, Image, InstanceTypeInfo } from '@aws-sdk/client-ec2';
import { resourceNameOf } from '../identity.js';
import { memo } from '../memo.js';
import { failedCheck } from '../preflight-check.js';
import type {
  KindPlacement,
  PlannedResource,
  PreflightCheck,
  PreflightKind,
  PreflightReport,
  PreflightRequest,
} from '../types.js';
import type { Ec2Api } from './api.js';
import { type ErrorContext, toProviderError } from './errors.js';
import { describeKeyPair, keyPairMatches } from './key-pair.js';
import { defaultVpc, type NetworkPlan, resolveSubnets, resolveVpc } from './network.js';
import { keyNameOf } from './resources.js';
import { findGroup } from './security-group.js';
import { type Ec2CloudSettings, type Ec2KindSettings, readEc2KindSettings } from './settings.js';

/** What the steps of one preflight share: the API, the settings, and the report being filled. */
interface Run {
  api: Ec2Api;
  cloud: Ec2CloudSettings;
  request: PreflightRequest;
  /** The template's name, for messages. */
  section: string;
  checks: PreflightCheck[];
  resources: PlannedResource[];
  kinds: KindPlacement[];
  fail: Fail;
  /** Lookups shared by kinds that name the same AMI or instance type. */
  images: Map<string, Promise<Image | undefined>>;
  types: Map<string, Promise<InstanceTypeInfo | undefined>>;
  /** vCPUs the kinds would add. */
  vcpus: number;
}

/** Runs the preflight; never creates, changes or deletes anything. */
export async function ec2Preflight(
  api: Ec2Api,
  cloud: Ec2CloudSettings,
  request: PreflightRequest,
): Promise<PreflightReport> {
  const section = request.template ?? request.cluster.name;
  const checks: PreflightCheck[] = [];
  const run: Run = {
    api,
    cloud,
    request,
    section,
    checks,
    resources: [],
    kinds: [],
    fail: (id, error, ctx = {}, kind) => {
      const mapped = toProviderError(error, { cloud, action: id, cluster: section, ...ctx });
      checks.push(failedCheck(id, mapped, kind));
      return undefined;
    },
    images: new Map(),
    types: new Map(),
    vcpus: 0,
  };
  // Nothing else can be checked without working credentials.
  if (!(await checkAccess(run))) return { checks, kinds: run.kinds, resources: run.resources };

  // Without kinds (herd check of a cloud no template uses) there is no cluster to name a key pair after.
  if (request.kinds.length > 0 || request.login.keyName)
    await checkKeyPair(api, request, checks, run.resources, run.fail);
  for (const kind of request.kinds) await checkKind(run, kind);
  if (request.kinds.length > 0) {
    // EC2's own API no longer reports limits (max-instances is retired); vCPU quotas live in Service Quotas.
    const count = request.kinds.reduce((n, k) => n + k.count, 0);
    checks.push({
      id: 'quota',
      status: 'ok',
      message: `${count} instance(s), ${run.vcpus} vCPU requested; not checked: EC2 reports vCPU quotas only through Service Quotas (aws service-quotas list-service-quotas --service-code ec2)`,
    });
  }
  return { checks, kinds: run.kinds, resources: dedupe(run.resources) };
}

/** Credentials and region: one DescribeAvailabilityZones. False when it failed. */
async function checkAccess({ api, cloud, request, checks, fail }: Run): Promise<boolean> {
  try {
    const out = await api.describeAvailabilityZones({}, request.signal);
    const zones = (out.AvailabilityZones ?? []).filter((z) => z.State === 'available').map((z) => z.ZoneName);
    checks.push({
      id: 'credentials',
      status: 'ok',
      message: `EC2 accepts the credentials (${credentialSource(cloud)})`,
    });
    checks.push(
      zones.length > 0
        ? { id: 'region', status: 'ok', message: `ec2_region=${cloud.region}: zones ${zones.join(', ')}` }
        : {
            id: 'region',
            status: 'fail',
            message: `ec2_region=${cloud.region} has no available zone`,
            hint: `Set ec2_region in [${cloud.section}] to a region your account may use.`,
          },
    );
    return true;
  } catch (error) {
    fail('credentials', error, { action: 'DescribeAvailabilityZones' });
    return false;
  }
}

/** One kind's AMI, instance type (and that they fit), network and security group. */
async function checkKind(run: Run, kind: PreflightKind): Promise<void> {
  const { api, cloud, request, section, fail } = run;
  let settings: Ec2KindSettings;
  try {
    settings = readEc2KindSettings(kind.settings, cloud, { cluster: section, kind: kind.kind });
  } catch (error) {
    fail('settings', error, {}, kind.kind);
    return;
  }
  const ctx = { settings, kind: kind.kind };
  const signal = request.signal;
  // Both lookups first: their failures are reported before what they found.
  const image = await memo(run.images, settings.imageId, () =>
    api.describeImages({ ImageIds: [settings.imageId] }, signal).then((o) => o.Images?.[0]),
  ).catch((error: unknown) => fail('image', error, { ...ctx, action: 'DescribeImages' }, kind.kind));
  const type = await memo(run.types, settings.flavor, () =>
    api
      .describeInstanceTypes({ InstanceTypes: [settings.flavor as _InstanceType] }, signal)
      .then((o) => o.InstanceTypes?.[0]),
  ).catch((error: unknown) => fail('flavor', error, { ...ctx, action: 'DescribeInstanceTypes' }, kind.kind));
  reportImage(run, image, settings, kind);
  if (type) reportInstanceType(run, type, image, settings, kind);
  const network = await placement(api, cloud, settings, section, signal).catch((error: unknown) => {
    fail('network', error, { ...ctx, action: 'DescribeSubnets' }, kind.kind);
    return undefined;
  });
  const group = network
    ? await securityGroup(api, request, settings, network, section, run.checks, run.resources, fail, kind)
    : undefined;
  run.kinds.push({
    kind: kind.kind,
    image: `${settings.imageId}${image?.Name ? ` (${image.Name})` : ''}`,
    flavor: settings.flavor,
    ...(network ? { placement: describePlacement(network) } : {}),
    securityGroups: group ? [group] : [],
  });
}

/** The AMI found, or a failure when DescribeImages answered without it and did not fail itself. */
function reportImage(
  run: Run,
  image: Image | undefined,
  settings: Ec2KindSettings,
  kind: PreflightKind,
): void {
  if (image) {
    run.checks.push({
      id: 'image',
      status: 'ok',
      kind: kind.kind,
      message: `image_id=${settings.imageId}: ${image.Name ?? '(no name)'}, ${image.Architecture ?? '?'}`,
    });
  } else if (!run.checks.some((c) => c.id === 'image' && c.kind === kind.kind)) {
    run.fail(
      'image',
      notFound('InvalidAMIID.NotFound', `The image id '${settings.imageId}' does not exist`),
      { settings, kind: kind.kind },
      kind.kind,
    );
  }
}

/** The instance type found (its vCPUs counted), and a failure when it cannot run the AMI's architecture. */
function reportInstanceType(
  run: Run,
  type: InstanceTypeInfo,
  image: Image | undefined,
  settings: Ec2KindSettings,
  kind: PreflightKind,
): void {
  const cpus = type.VCpuInfo?.DefaultVCpus ?? 0;
  run.vcpus += cpus * kind.count;
  run.checks.push({
    id: 'flavor',
    status: 'ok',
    kind: kind.kind,
    message: `flavor=${settings.flavor}: ${cpus} vCPU, ${((type.MemoryInfo?.SizeInMiB ?? 0) / 1024).toFixed(1)} GiB`,
  });
  const arches = type.ProcessorInfo?.SupportedArchitectures ?? [];
  if (image?.Architecture && arches.length > 0 && !arches.includes(image.Architecture as never)) {
    run.checks.push({
      id: 'flavor',
      status: 'fail',
      kind: kind.kind,
      message: `flavor=${settings.flavor} runs ${arches.join('/')}, but image_id=${settings.imageId} is ${image.Architecture}`,
      hint: `Choose an instance type for ${image.Architecture}, or an AMI for ${arches.join('/')}.`,
    });
  }
}

type Fail = (id: string, error: unknown, ctx?: Partial<ErrorContext>, kind?: string) => undefined;

/** user_key_name must exist (and hold herd's key when it is known); herd's own pair is imported when missing. */
async function checkKeyPair(
  api: Ec2Api,
  request: PreflightRequest,
  checks: PreflightCheck[],
  resources: PlannedResource[],
  fail: Fail,
): Promise<void> {
  const name = keyNameOf(request.cluster, { publicKey: '', keyName: request.login.keyName });
  const pair = await describeKeyPair(api, name, request.signal).catch((error: unknown) => {
    fail('key-pair', error, { action: 'DescribeKeyPairs', keyName: name });
    return null;
  });
  if (pair === null) return;
  const mismatch = pair && request.login.publicKey && !keyPairMatches(pair, request.login.publicKey);
  if (mismatch) {
    checks.push({
      id: 'key-pair',
      status: 'fail',
      message: `key pair "${name}" exists with another key (fingerprint ${pair.KeyFingerprint ?? '?'})`,
      hint: `Point user_key_private/user_key_public at the pair's key, choose another user_key_name, or delete the pair if nothing uses it (aws ec2 delete-key-pair --key-name ${name}).`,
    });
  } else if (pair) {
    checks.push({ id: 'key-pair', status: 'ok', message: `key pair "${name}" exists` });
    resources.push({ type: 'key-pair', name, action: 'use' });
  } else if (request.login.keyName) {
    checks.push({
      id: 'key-pair',
      status: 'fail',
      message: `user_key_name=${name}: no such key pair in this region`,
      hint: 'Import the key pair in this region, or remove user_key_name so that herd imports its own.',
    });
  } else {
    resources.push({
      type: 'key-pair',
      name,
      action: 'create',
      detail: "imported from the cluster's public key",
    });
  }
}

/** The kind's security group: used when it exists, created by start when a name does not. */
async function securityGroup(
  api: Ec2Api,
  request: PreflightRequest,
  settings: Ec2KindSettings,
  network: NetworkPlan,
  section: string,
  checks: PreflightCheck[],
  resources: PlannedResource[],
  fail: Fail,
  kind: PreflightKind,
): Promise<string | undefined> {
  const name = settings.securityGroup ?? resourceNameOf(request.cluster);
  const ask = { nameOrId: name, vpcId: network.vpcId, cluster: request.cluster, sshCidr: '', origin: '' };
  try {
    const group = await findGroup(api, ask, request.signal);
    if (group) {
      resources.push({
        type: 'security-group',
        name: `${group.GroupName} (${group.GroupId})`,
        action: 'use',
      });
      return group.GroupId;
    }
  } catch (error) {
    fail('security-group', error, { settings, kind: kind.kind, action: 'DescribeSecurityGroups' }, kind.kind);
    return undefined;
  }
  if (/^sg-[0-9a-f]+$/.test(name)) {
    checks.push({
      id: 'security-group',
      status: 'fail',
      kind: kind.kind,
      message: `[cluster/${section}] security_group=${name}: no such group in ${network.vpcId}`,
      hint: `Name a group of ${network.vpcId} (by name or id), or leave security_group unset so that herd creates one.`,
    });
    return undefined;
  }
  if (settings.securityGroup) {
    checks.push({
      id: 'security-group',
      status: 'warn',
      kind: kind.kind,
      message: `[cluster/${section}] security_group=${name} does not exist in ${network.vpcId}; start would create it`,
      hint: 'If you meant an existing group, fix the name.',
    });
  }
  resources.push({
    type: 'security-group',
    name,
    action: 'create',
    detail: `in ${network.vpcId}: SSH from ssh_cidr, all traffic between the cluster's nodes`,
  });
  return name;
}

/** The kind's VPC and subnets, as start resolves them (Describe calls only). */
async function placement(
  api: Ec2Api,
  cloud: Ec2CloudSettings,
  settings: Ec2KindSettings,
  section: string,
  signal: AbortSignal | undefined,
): Promise<NetworkPlan> {
  const vpcId = cloud.vpc ? await resolveVpc(api, cloud.vpc, cloud.section, signal) : undefined;
  if (settings.networkIds.length > 0) {
    return resolveSubnets(api, settings.networkIds, vpcId, `[cluster/${section}]`, signal);
  }
  return { vpcId: vpcId ?? (await defaultVpc(api, cloud.section, signal)), subnets: [] };
}

function describePlacement(network: NetworkPlan): string {
  if (network.subnets.length === 0) return `${network.vpcId} (EC2 picks a default subnet)`;
  return network.subnets
    .map((s) => `${s.id}${s.availabilityZone ? ` (${s.availabilityZone})` : ''}`)
    .join(', then ');
}

function credentialSource(cloud: Ec2CloudSettings): string {
  if (cloud.staticCredentials) return 'ec2_access_key/ec2_secret_key';
  return cloud.profile ? `profile=${cloud.profile}` : 'the AWS default credential chain';
}

function notFound(code: string, message: string): Error {
  return Object.assign(new Error(message), { Code: code });
}

function dedupe(resources: PlannedResource[]): PlannedResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    const key = `${r.type}\0${r.name}\0${r.action}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
