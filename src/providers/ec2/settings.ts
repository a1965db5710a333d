/**
 * EC2 settings in herd's own terms, read from a validated `[cloud/NAME]` section and from a kind's node
 * settings. The config schema has already checked types and ranges; this only gives them names and
 * applies the rule that kind-level price/spot/timeout/instance_profile override the cloud's.
 */
import type { CloudSection, NodeSettings } from '../../config/types.js';
import { ProviderError } from '../../errors.js';

/** Cloud-wide EC2 settings. */
export interface Ec2CloudSettings {
  /** `cloud/NAME`, for messages. */
  section: string;
  region: string;
  /** `ec2_url`; undefined = the regional AWS endpoint. */
  endpoint: string | undefined;
  /** Static keys (both or neither); undefined = the SDK's default chain. */
  staticCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** `profile` of the shared AWS files (default chain only). */
  profile: string | undefined;
  requestFloatingIp: boolean;
  sshCidr: string;
  /** `vpc`: an id (`vpc-...`) or a Name tag. */
  vpc: string | undefined;
  instanceProfile: string | undefined;
  price: number | undefined;
  spot: boolean | undefined;
  timeout: number | undefined;
}

/** The root disk of a kind (`boot_disk_*`). */
export interface BootDisk {
  device: string | undefined;
  sizeGiB: number | undefined;
  type: string | undefined;
  iops: number | undefined;
}

/** What one kind's nodes are launched with. */
export interface Ec2KindSettings {
  imageId: string;
  flavor: string;
  /** `security_group` (name or `sg-...` id); undefined = herd's group `herd-<cluster>`. */
  securityGroup: string | undefined;
  userdata: string | undefined;
  /** `network_ids`: subnet ids or Name tags in failover order; empty = the default VPC's choice. */
  networkIds: readonly string[];
  bootDisk: BootDisk;
  placementGroup: string | undefined;
  instanceProfile: string | undefined;
  /** Spot when `price > 0` or `spot=true`; `maxPrice` only when a price is given. */
  spot: { maxPrice: string | undefined; timeoutSeconds: number | undefined } | undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** Reads `[cloud/NAME] provider=ec2_boto`; a lone access key or secret key is an error. */
export function readEc2CloudSettings(cloud: CloudSection): Ec2CloudSettings {
  const s = cloud.settings;
  const section = `cloud/${cloud.name}`;
  const region = str(s['ec2_region']);
  if (!region) {
    throw new ProviderError('Ec2RegionMissing', `[${section}] ec2_region is not set.`, {
      hint: 'Set ec2_region to the region of your nodes, e.g. ec2_region=us-east-1.',
    });
  }
  const accessKeyId = str(s['ec2_access_key']);
  const secretAccessKey = str(s['ec2_secret_key']);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const [has, lacks] = accessKeyId
      ? ['ec2_access_key', 'ec2_secret_key']
      : ['ec2_secret_key', 'ec2_access_key'];
    throw new ProviderError('Ec2CredentialsIncomplete', `[${section}] sets ${has} but not ${lacks}.`, {
      hint: `Set both (or the environment variables EC2_ACCESS_KEY/AWS_ACCESS_KEY_ID and EC2_SECRET_KEY/AWS_SECRET_ACCESS_KEY), or neither to use the AWS default credentials (profile=, AWS_PROFILE, SSO, instance role).`,
    });
  }
  return {
    section,
    region,
    endpoint: str(s['ec2_url']),
    staticCredentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    profile: str(s['profile']),
    requestFloatingIp: s['request_floating_ip'] === true,
    sshCidr: str(s['ssh_cidr']) ?? '0.0.0.0/0',
    vpc: str(s['vpc']),
    instanceProfile: str(s['instance_profile']),
    price: num(s['price']),
    spot: bool(s['spot']),
    timeout: num(s['timeout']),
  };
}

/** Splits `network_ids` (commas, blanks allowed) into its items, in order, without duplicates. */
export function splitNetworkIds(value: string | undefined): string[] {
  if (!value) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

/** Whether a kind's nodes are spot instances: `price > 0` or `spot=true`, the kind's over the cloud's. */
export function isSpotKind(settings: Readonly<NodeSettings>, cloud: Ec2CloudSettings): boolean {
  const price = num(settings['price']) ?? cloud.price;
  return (price !== undefined && price > 0) || (bool(settings['spot']) ?? cloud.spot) === true;
}

/** Reads a kind's node settings; `where` names the kind in messages. */
export function readEc2KindSettings(
  settings: Readonly<NodeSettings>,
  cloud: Ec2CloudSettings,
  where: { cluster: string; kind: string },
): Ec2KindSettings {
  const imageId = str(settings.image_id);
  const flavor = str(settings.flavor);
  for (const [key, value] of [
    ['image_id', imageId],
    ['flavor', flavor],
  ] as const) {
    if (!value) {
      throw new ProviderError(
        'Ec2SettingMissing',
        `[cluster/${where.cluster}] ${key} is not set for kind ${where.kind}.`,
        {
          hint: `Set ${key} in [cluster/${where.cluster}] or [cluster/${where.cluster}/${where.kind}] (an AMI id for image_id, an instance type such as t3.micro for flavor).`,
        },
      );
    }
  }
  const price = num(settings['price']) ?? cloud.price;
  const isSpot = isSpotKind(settings, cloud);
  return {
    imageId: imageId!,
    flavor: flavor!,
    securityGroup: str(settings.security_group),
    userdata:
      typeof settings.image_userdata === 'string' && settings.image_userdata !== ''
        ? settings.image_userdata
        : undefined,
    networkIds: splitNetworkIds(str(settings.network_ids)),
    bootDisk: {
      device: str(settings['boot_disk_device']),
      sizeGiB: num(settings['boot_disk_size']),
      type: str(settings['boot_disk_type']),
      iops: num(settings['boot_disk_iops']),
    },
    placementGroup: str(settings['placement_group']),
    instanceProfile: str(settings['instance_profile']) ?? cloud.instanceProfile,
    spot: isSpot
      ? {
          maxPrice: price !== undefined && price > 0 ? String(price) : undefined,
          timeoutSeconds: num(settings['timeout']) ?? cloud.timeout,
        }
      : undefined,
  };
}
