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

/** Turns any error of an EC2 call into a HerdError with a hint; HerdErrors pass through. */
export function toProviderError(error: unknown, ctx: ErrorContext): HerdError {
  if (error instanceof HerdError) return error;
  const { cloud } = ctx;
  const section = `[${cloud.section}]`;
  const cluster = `[cluster/${ctx.cluster ?? '?'}]`;
  const kind = ctx.kind ? ` (kind ${ctx.kind})` : '';
  const code = ec2ErrorCode(error) ?? '';
  const detail = describe(error);
  const fail = (suffix: string, message: string, hint: string) =>
    new ProviderError(`Ec2${suffix}`, message, { hint, cause: error });
  const name = error instanceof Error ? error.name : '';

  if (name === 'AbortError') return new AbortError(`Interrupted during EC2 ${ctx.action}.`, { cause: error });
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(detail)) {
    if (cloud.profile) {
      return fail(
        'CredentialsMissing',
        `${section} profile=${cloud.profile}: no credentials found for this profile (${detail}).`,
        `Check that ~/.aws/credentials or ~/.aws/config has a [${cloud.profile}] / [profile ${cloud.profile}] section with credentials (or SSO: aws sso login --profile ${cloud.profile}), or fix profile= (AWS_PROFILE) in ${section}.`,
      );
    }
    return fail(
      'CredentialsMissing',
      `${section} no AWS credentials were found (${detail}).`,
      `Set ec2_access_key and ec2_secret_key in ${section} (or EC2_ACCESS_KEY/AWS_ACCESS_KEY_ID and EC2_SECRET_KEY/AWS_SECRET_ACCESS_KEY), or profile= (AWS_PROFILE) naming a profile in ~/.aws/credentials or ~/.aws/config.`,
    );
  }
  if (AUTH_CODES.has(code)) {
    return fail(
      'AuthFailed',
      `${section} EC2 refused the credentials in ec2_region=${cloud.region}: ${detail}`,
      `Check ec2_access_key/ec2_secret_key (or EC2_ACCESS_KEY/AWS_ACCESS_KEY_ID, AWS_PROFILE) and the system clock${cloud.endpoint ? `, and that ec2_url=${cloud.endpoint} is the endpoint the keys belong to` : ''}.`,
    );
  }
  if (code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'OptInRequired') {
    return fail(
      'NotAuthorized',
      `${section} the credentials may not call ${ctx.action} in ec2_region=${cloud.region}: ${detail}`,
      'Grant the IAM user or role the EC2 permissions herd uses (RunInstances, Describe*, CreateTags, TerminateInstances, security groups, key pairs, addresses), or enable the region.',
    );
  }
  if (code.startsWith('InvalidAMIID')) {
    const ami = ctx.settings?.imageId ?? '?';
    return fail(
      'ImageNotFound',
      `${cluster} image_id=${ami}${kind}: ${detail}`,
      `AMIs are per region: use an AMI id that exists in ec2_region=${cloud.region} (aws ec2 describe-images --image-ids ${ami} --region ${cloud.region}).`,
    );
  }
  if (
    code.startsWith('InvalidInstanceType') ||
    (code === 'InvalidParameterValue' && /instance ?type/i.test(detail))
  ) {
    return fail(
      'FlavorInvalid',
      `${cluster} flavor=${ctx.settings?.flavor ?? '?'}${kind}: ${detail}`,
      `Set flavor to an instance type offered in ec2_region=${cloud.region} that fits the AMI's architecture (aws ec2 describe-instance-type-offerings --region ${cloud.region}).`,
    );
  }
  if (code.startsWith('InvalidKeyPair')) {
    return fail(
      'KeyPairInvalid',
      `Key pair ${ctx.keyName ?? '?'} in ec2_region=${cloud.region}: ${detail}`,
      'Set user_key_name in the [login/...] section to a key pair of this region, or leave it unset so that herd imports its own key pair.',
    );
  }
  if (code.startsWith('InvalidSubnet')) {
    return fail(
      'SubnetNotFound',
      `${cluster} network_ids=${ctx.settings?.networkIds.join(',') ?? ''}${kind}: ${detail}`,
      `List subnet ids (subnet-...) or subnet Name tags of ec2_region=${cloud.region}${cloud.vpc ? ` in vpc=${cloud.vpc}` : ''}.`,
    );
  }
  if (code.startsWith('InvalidGroup') || code === 'InvalidSecurityGroupID.NotFound') {
    return fail(
      'SecurityGroupNotFound',
      `${cluster} security_group=${ctx.settings?.securityGroup ?? '?'}${kind}: ${detail}`,
      "Name an existing security group (name or sg-... id) of the nodes' VPC, or leave security_group unset so that herd creates one.",
    );
  }
  if (code.startsWith('InvalidVpc')) {
    return fail(
      'VpcNotFound',
      `${section} vpc=${cloud.vpc ?? '?'}: ${detail}`,
      `Set vpc to a VPC id or Name tag of ec2_region=${cloud.region}.`,
    );
  }
  if (code.startsWith('InvalidPlacementGroup')) {
    return fail(
      'PlacementGroupInvalid',
      `${cluster} placement_group=${ctx.settings?.placementGroup ?? '?'}${kind}: ${detail}`,
      'Create the placement group first (aws ec2 create-placement-group) or remove placement_group.',
    );
  }
  if (
    code === 'NoSuchEntity' ||
    (code === 'InvalidParameterValue' && /iamInstanceProfile|instance profile/i.test(detail))
  ) {
    return fail(
      'InstanceProfileInvalid',
      `${cluster} instance_profile=${ctx.settings?.instanceProfile ?? '?'}${kind}: ${detail}`,
      'Name an existing IAM instance profile (aws iam list-instance-profiles), or remove instance_profile.',
    );
  }
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up/.test(
      `${detail} ${(error as { code?: string })?.code ?? ''}`,
    )
  ) {
    return fail(
      'Unreachable',
      `${section} cannot reach the EC2 endpoint ${cloud.endpoint ? `ec2_url=${cloud.endpoint}` : `of ec2_region=${cloud.region}`}: ${detail}`,
      cloud.endpoint
        ? 'Check ec2_url and that the endpoint is up.'
        : 'Check ec2_region and the network connection.',
    );
  }
  return fail(
    'RequestFailed',
    `EC2 ${ctx.action} failed${ctx.kind ? ` for kind ${ctx.kind}` : ''} in ec2_region=${cloud.region}: ${detail}`,
    'Run again with -vv for details; the error code above is from the EC2 API.',
  );
}
