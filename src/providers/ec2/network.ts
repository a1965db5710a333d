/**
 * Where nodes go: `vpc` (id or Name tag) and `network_ids` (subnet ids or Name tags, in failover order),
 * resolved to ids in at most three Describe calls; without network_ids, the default VPC, where EC2
 * picks the subnet.
 */
import type { Subnet } from '@aws-sdk/client-ec2';
import { ProviderError } from '../../errors.js';
import type { Ec2Api } from './api.js';

/** A subnet to launch into. */
export interface SubnetChoice {
  id: string;
  availabilityZone: string | undefined;
  /** As written in network_ids (id or Name), for messages. */
  label: string;
}

/** The resolved network of one kind. */
export interface NetworkPlan {
  vpcId: string;
  /** Failover order; empty = let EC2 choose a default subnet. */
  subnets: SubnetChoice[];
}

const isId = (prefix: string, value: string) => new RegExp(`^${prefix}-[0-9a-f]+$`).test(value);

/** Resolves `vpc` (cloud section) to a VPC id; throws naming the key when it does not exist or is ambiguous. */
export async function resolveVpc(
  api: Ec2Api,
  vpc: string,
  section: string,
  signal?: AbortSignal,
): Promise<string> {
  const out = isId('vpc', vpc)
    ? await api.describeVpcs({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }, signal)
    : await api.describeVpcs({ Filters: [{ Name: 'tag:Name', Values: [vpc] }] }, signal);
  const ids = (out.Vpcs ?? []).map((v) => v.VpcId!);
  if (ids.length === 1) return ids[0]!;
  throw new ProviderError(
    ids.length === 0 ? 'Ec2VpcNotFound' : 'Ec2VpcAmbiguous',
    ids.length === 0
      ? `[${section}] vpc=${vpc}: no VPC with this id or Name tag.`
      : `[${section}] vpc=${vpc}: ${ids.length} VPCs carry this Name tag (${ids.join(', ')}).`,
    { hint: 'Set vpc to a VPC id (vpc-...) or a unique Name tag of the region.' },
  );
}

/** The region's default VPC id. */
export async function defaultVpc(api: Ec2Api, section: string, signal?: AbortSignal): Promise<string> {
  const out = await api.describeVpcs({ Filters: [{ Name: 'is-default', Values: ['true'] }] }, signal);
  const id = out.Vpcs?.[0]?.VpcId;
  if (id) return id;
  throw new ProviderError(
    'Ec2NoDefaultVpc',
    `[${section}] the region has no default VPC and no network_ids are set.`,
    {
      hint: 'Set network_ids in the cluster section to the subnets the nodes should use (and vpc in the cloud section).',
    },
  );
}

/**
 * Resolves `network_ids` items to subnets, keeping their order. Names are looked up by Name tag (within
 * `vpcId` when given); every item must match exactly one subnet, and all subnets one VPC.
 */
export async function resolveSubnets(
  api: Ec2Api,
  items: readonly string[],
  vpcId: string | undefined,
  where: string,
  signal?: AbortSignal,
): Promise<NetworkPlan> {
  const ids = items.filter((i) => isId('subnet', i));
  const names = items.filter((i) => !isId('subnet', i));
  const inVpc = vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [];
  const [byId, byName] = await Promise.all([
    ids.length
      ? api.describeSubnets({ Filters: [{ Name: 'subnet-id', Values: ids }, ...inVpc] }, signal)
      : undefined,
    names.length
      ? api.describeSubnets({ Filters: [{ Name: 'tag:Name', Values: names }, ...inVpc] }, signal)
      : undefined,
  ]);
  const found: Subnet[] = [...(byId?.Subnets ?? []), ...(byName?.Subnets ?? [])];
  const problems: string[] = [];
  const subnets: (SubnetChoice & { vpcId: string })[] = [];
  for (const item of items) {
    const matches = found.filter((s) =>
      isId('subnet', item)
        ? s.SubnetId === item
        : (s.Tags ?? []).some((t) => t.Key === 'Name' && t.Value === item),
    );
    if (matches.length === 1) {
      const s = matches[0]!;
      subnets.push({ id: s.SubnetId!, availabilityZone: s.AvailabilityZone, label: item, vpcId: s.VpcId! });
    } else if (matches.length === 0) {
      problems.push(`${item}: no such subnet${vpcId ? ` in ${vpcId}` : ''}`);
    } else {
      problems.push(
        `${item}: ${matches.length} subnets carry this Name (${matches.map((s) => s.SubnetId).join(', ')})`,
      );
    }
  }
  const vpcs = [...new Set(subnets.map((s) => s.vpcId))];
  if (problems.length === 0 && vpcs.length > 1)
    problems.push(`the subnets lie in ${vpcs.length} VPCs (${vpcs.join(', ')})`);
  if (problems.length > 0) {
    throw new ProviderError(
      'Ec2SubnetNotFound',
      `${where} network_ids=${items.join(',')}: ${problems.join('; ')}.`,
      {
        hint: 'List subnet ids (subnet-...) or unique subnet Name tags of one VPC of the region, in the order herd should try them.',
      },
    );
  }
  return { vpcId: vpcId ?? vpcs[0]!, subnets: subnets.map(({ vpcId: _, ...s }) => s) };
}
