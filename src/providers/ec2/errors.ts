/**
 * EC2 errors in herd's terms: which codes mean "try the next subnet", and a ProviderError for the rest
 * that names the config key behind the refused value and says what to change.
 */
import { AbortError, HerdError, ProviderError } from '../../errors.js';
import type { Ec2CloudSettings, Ec2KindSettings } from './settings.js';

/** Codes that mean "no room here": the next subnet / availability zone may have room. */
const CAPACITY_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'InstanceLimitExceeded',
  'Unsupported',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'InsufficientSpotCapacity',
]);

/** Codes that mean the credentials are wrong, expired or not allowed. */
const AUTH_CODES = new Set([
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'RequestExpired',
  'InvalidAccessKeyId',
  'IncompleteSignature',
]);

/** The EC2 error code of an SDK error (`e.name` of a service exception), else undefined. */
export function ec2ErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & { $metadata?: unknown; Code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  return e.$metadata !== undefined ? e.name : undefined;
}

/** True when the error says a subnet / zone has no capacity for the request. */
export function isCapacityError(error: unknown): boolean {
  const code = ec2ErrorCode(error);
  return code !== undefined && CAPACITY_CODES.has(code);
}

/** True for "this id does not exist" errors of instances. */
export function isInstanceNotFound(error: unknown): boolean {
  const code = ec2ErrorCode(error);
  return code === 'InvalidInstanceID.NotFound' || code === 'InvalidInstanceID.Malformed';
}

/** What the failed call was about, for the message. */
export interface ErrorContext {
  cloud: Ec2CloudSettings;
  /** The EC2 action, e.g. `RunInstances`. */
  action: string;
  cluster?: string;
  kind?: string;
  settings?: Ec2KindSettings;
  /** Key pair name and where it came from. */
  keyName?: string;
}

function describe(error: unknown): string {
  const code = ec2ErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/** A failed EC2 call as the rules see it. */
interface Failure {
  ctx: ErrorContext;
  cloud: Ec2CloudSettings;
  /** The EC2 error code, or ''. */
  code: string;
  /** The error's name (`CredentialsProviderError`, ...). */
  name: string;
  /** Code and message, as the user sees them. */
  detail: string;
  /** The Node.js error code of a network failure (`ECONNREFUSED`, ...), or ''. */
  errno: string;
  /** `[cloud/NAME]`. */
  section: string;
  /** `[cluster/NAME]`. */
  cluster: string;
  /** ` (kind KIND)` or ''. */
  kind: string;
}

/** One kind of failure: which errors it takes, its code (after `Ec2`), message and hint. */
interface ErrorRule {
  match: (f: Failure) => boolean;
  code: string;
  message: (f: Failure) => string;
  hint: (f: Failure) => string;
}

const isCredentialsMissing = (f: Failure) =>
  f.name === 'CredentialsProviderError' || /Could not load credentials/i.test(f.detail);

/** The rules in order: the first that matches names the error; RequestFailed takes the rest. */
const RULES: readonly ErrorRule[] = [
  {
    match: (f) => isCredentialsMissing(f) && f.cloud.profile !== undefined,
    code: 'CredentialsMissing',
    message: (f) =>
      `${f.section} profile=${f.cloud.profile}: no credentials found for this profile (${f.detail}).`,
    hint: ({ cloud: { profile }, section }) =>
      `Check that ~/.aws/credentials or ~/.aws/config has a [${profile}] / [profile ${profile}] section with credentials (or SSO: aws sso login --profile ${profile}), or fix profile= (AWS_PROFILE) in ${section}.`,
  },
  {
    match: isCredentialsMissing,
    code: 'CredentialsMissing',
    message: (f) => `${f.section} no AWS credentials were found (${f.detail}).`,
    hint: (f) =>
      `Set ec2_access_key and ec2_secret_key in ${f.section} (or EC2_ACCESS_KEY/AWS_ACCESS_KEY_ID and EC2_SECRET_KEY/AWS_SECRET_ACCESS_KEY), or profile= (AWS_PROFILE) naming a profile in ~/.aws/credentials or ~/.aws/config.`,
  },
  {
    match: (f) => AUTH_CODES.has(f.code),
    code: 'AuthFailed',
    message: (f) => `${f.section} EC2 refused the credentials in ec2_region=${f.cloud.region}: ${f.detail}`,
    hint: ({ cloud }) =>
      `Check ec2_access_key/ec2_secret_key (or EC2_ACCESS_KEY/AWS_ACCESS_KEY_ID, AWS_PROFILE) and the system clock${cloud.endpoint ? `, and that ec2_url=${cloud.endpoint} is the endpoint the keys belong to` : ''}.`,
  },
  {
    match: (f) => ['UnauthorizedOperation', 'AccessDenied', 'OptInRequired'].includes(f.code),
    code: 'NotAuthorized',
    message: (f) =>
      `${f.section} the credentials may not call ${f.ctx.action} in ec2_region=${f.cloud.region}: ${f.detail}`,
    hint: () =>
      'Grant the IAM user or role the EC2 permissions herd uses (RunInstances, Describe*, CreateTags, TerminateInstances, security groups, key pairs, addresses), or enable the region.',
  },
  {
    match: (f) => f.code.startsWith('InvalidAMIID'),
    code: 'ImageNotFound',
    message: (f) => `${f.cluster} image_id=${f.ctx.settings?.imageId ?? '?'}${f.kind}: ${f.detail}`,
    hint: ({ ctx, cloud }) =>
      `AMIs are per region: use an AMI id that exists in ec2_region=${cloud.region} (aws ec2 describe-images --image-ids ${ctx.settings?.imageId ?? '?'} --region ${cloud.region}).`,
  },
  {
    match: (f) =>
      f.code.startsWith('InvalidInstanceType') ||
      (f.code === 'InvalidParameterValue' && /instance ?type/i.test(f.detail)),
    code: 'FlavorInvalid',
    message: (f) => `${f.cluster} flavor=${f.ctx.settings?.flavor ?? '?'}${f.kind}: ${f.detail}`,
    hint: ({ cloud }) =>
      `Set flavor to an instance type offered in ec2_region=${cloud.region} that fits the AMI's architecture (aws ec2 describe-instance-type-offerings --region ${cloud.region}).`,
  },
  {
    match: (f) => f.code.startsWith('InvalidKeyPair'),
    code: 'KeyPairInvalid',
    message: (f) => `Key pair ${f.ctx.keyName ?? '?'} in ec2_region=${f.cloud.region}: ${f.detail}`,
    hint: () =>
      'Set user_key_name in the [login/...] section to a key pair of this region, or leave it unset so that herd imports its own key pair.',
  },
  {
    match: (f) => f.code.startsWith('InvalidSubnet'),
    code: 'SubnetNotFound',
    message: (f) =>
      `${f.cluster} network_ids=${f.ctx.settings?.networkIds.join(',') ?? ''}${f.kind}: ${f.detail}`,
    hint: ({ cloud }) =>
      `List subnet ids (subnet-...) or subnet Name tags of ec2_region=${cloud.region}${cloud.vpc ? ` in vpc=${cloud.vpc}` : ''}.`,
  },
  {
    match: (f) => f.code.startsWith('InvalidGroup') || f.code === 'InvalidSecurityGroupID.NotFound',
    code: 'SecurityGroupNotFound',
    message: (f) =>
      `${f.cluster} security_group=${f.ctx.settings?.securityGroup ?? '?'}${f.kind}: ${f.detail}`,
    hint: () =>
      "Name an existing security group (name or sg-... id) of the nodes' VPC, or leave security_group unset so that herd creates one.",
  },
  {
    match: (f) => f.code.startsWith('InvalidVpc'),
    code: 'VpcNotFound',
    message: (f) => `${f.section} vpc=${f.cloud.vpc ?? '?'}: ${f.detail}`,
    hint: ({ cloud }) => `Set vpc to a VPC id or Name tag of ec2_region=${cloud.region}.`,
  },
  {
    match: (f) => f.code.startsWith('InvalidPlacementGroup'),
    code: 'PlacementGroupInvalid',
    message: (f) =>
      `${f.cluster} placement_group=${f.ctx.settings?.placementGroup ?? '?'}${f.kind}: ${f.detail}`,
    hint: () =>
      'Create the placement group first (aws ec2 create-placement-group) or remove placement_group.',
  },
  {
    match: (f) =>
      f.code === 'NoSuchEntity' ||
      (f.code === 'InvalidParameterValue' && /iamInstanceProfile|instance profile/i.test(f.detail)),
    code: 'InstanceProfileInvalid',
    message: (f) =>
      `${f.cluster} instance_profile=${f.ctx.settings?.instanceProfile ?? '?'}${f.kind}: ${f.detail}`,
    hint: () =>
      'Name an existing IAM instance profile (aws iam list-instance-profiles), or remove instance_profile.',
  },
  {
    match: (f) =>
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up/.test(`${f.detail} ${f.errno}`),
    code: 'Unreachable',
    message: ({ section, cloud, detail }) =>
      `${section} cannot reach the EC2 endpoint ${cloud.endpoint ? `ec2_url=${cloud.endpoint}` : `of ec2_region=${cloud.region}`}: ${detail}`,
    hint: ({ cloud }) =>
      cloud.endpoint
        ? 'Check ec2_url and that the endpoint is up.'
        : 'Check ec2_region and the network connection.',
  },
  {
    match: () => true,
    code: 'RequestFailed',
    message: (f) =>
      `EC2 ${f.ctx.action} failed${f.ctx.kind ? ` for kind ${f.ctx.kind}` : ''} in ec2_region=${f.cloud.region}: ${f.detail}`,
    hint: () => 'Run again with -vv for details; the error code above is from the EC2 API.',
  },
];

/** Turns any error of an EC2 call into a HerdError with a hint; HerdErrors pass through. */
export function toProviderError(error: unknown, ctx: ErrorContext): HerdError {
  if (error instanceof HerdError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'AbortError') return new AbortError(`Interrupted during EC2 ${ctx.action}.`, { cause: error });
  const failure: Failure = {
    ctx,
    cloud: ctx.cloud,
    code: ec2ErrorCode(error) ?? '',
    name,
    detail: describe(error),
    errno: (error as { code?: string } | undefined)?.code ?? '',
    section: `[${ctx.cloud.section}]`,
    cluster: `[cluster/${ctx.cluster ?? '?'}]`,
    kind: ctx.kind ? ` (kind ${ctx.kind})` : '',
  };
  const rule = RULES.find((r) => r.match(failure))!;
  return new ProviderError(`Ec2${rule.code}`, rule.message(failure), {
    hint: rule.hint(failure),
    cause: error,
  });
}
