import { describe, expect, it } from 'vitest';
import { AbortError, ProviderError } from '../../../src/errors.js';
import { isCapacityError, toProviderError } from '../../../src/providers/ec2/errors.js';
import { readEc2CloudSettings, readEc2KindSettings } from '../../../src/providers/ec2/settings.js';

/** An error shaped like the SDK's service exceptions. */
function awsError(code: string, message = `${code} happened`): Error {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: 400 } });
}

const cloud = readEc2CloudSettings({
  name: 'aws',
  provider: 'ec2_boto',
  settings: { ec2_region: 'eu-west-1', vpc: 'vpc-1' },
});
const settings = readEc2KindSettings(
  {
    image_id: 'ami-0bad',
    flavor: 't9.huge',
    network_ids: 'subnet-1,private-b',
    security_group: 'mygroup',
    placement_group: 'pg',
    instance_profile: 'prof',
  },
  cloud,
  { cluster: 'lab', kind: 'compute' },
);
const ctx = { cloud, action: 'RunInstances', cluster: 'lab', kind: 'compute', settings, keyName: 'mykey' };

describe('toProviderError', () => {
  it.each([
    [
      'AuthFailure',
      'Ec2AuthFailed',
      /\[cloud\/aws\] EC2 refused the credentials in ec2_region=eu-west-1/,
      /ec2_access_key/,
    ],
    ['UnrecognizedClientException', 'Ec2AuthFailed', /refused the credentials/, /AWS_ACCESS_KEY_ID/],
    ['InvalidClientTokenId', 'Ec2AuthFailed', /refused the credentials/, /AWS_PROFILE/],
    ['SignatureDoesNotMatch', 'Ec2AuthFailed', /refused the credentials/, /ec2_secret_key/],
    ['UnauthorizedOperation', 'Ec2NotAuthorized', /may not call RunInstances/, /IAM/],
    [
      'InvalidAMIID.NotFound',
      'Ec2ImageNotFound',
      /\[cluster\/lab\] image_id=ami-0bad \(kind compute\)/,
      /ec2_region=eu-west-1/,
    ],
    ['InvalidAMIID.Malformed', 'Ec2ImageNotFound', /image_id=ami-0bad/, /describe-images/],
    [
      'InvalidInstanceType.NotFound',
      'Ec2FlavorInvalid',
      /\[cluster\/lab\] flavor=t9.huge \(kind compute\)/,
      /instance type/,
    ],
    [
      'InvalidKeyPair.NotFound',
      'Ec2KeyPairInvalid',
      /Key pair mykey in ec2_region=eu-west-1/,
      /user_key_name/,
    ],
    ['InvalidSubnetID.NotFound', 'Ec2SubnetNotFound', /network_ids=subnet-1,private-b/, /vpc=vpc-1/],
    [
      'InvalidGroup.NotFound',
      'Ec2SecurityGroupNotFound',
      /security_group=mygroup/,
      /leave security_group unset/,
    ],
    ['InvalidVpcID.NotFound', 'Ec2VpcNotFound', /\[cloud\/aws\] vpc=vpc-1/, /VPC id or Name tag/],
    [
      'InvalidPlacementGroup.Unknown',
      'Ec2PlacementGroupInvalid',
      /placement_group=pg/,
      /create-placement-group/,
    ],
    ['NoSuchEntity', 'Ec2InstanceProfileInvalid', /instance_profile=prof/, /instance profile/],
    [
      'SomethingElse',
      'Ec2RequestFailed',
      /EC2 RunInstances failed for kind compute in ec2_region=eu-west-1: SomethingElse/,
      /-vv/,
    ],
  ])('%s -> %s naming the key', (code, herdCode, message, hint) => {
    const error = toProviderError(awsError(code), ctx);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe(herdCode);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });

  it('recognises an invalid instance type reported as InvalidParameterValue (AWS)', () => {
    const error = toProviderError(
      awsError('InvalidParameterValue', "Invalid value 't9.huge' for InstanceType."),
      ctx,
    );
    expect(error.code).toBe('Ec2FlavorInvalid');
  });

  it('explains missing credentials with every way to give them', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const error = toProviderError(missing, ctx);
    expect(error.code).toBe('Ec2CredentialsMissing');
    for (const key of [
      'ec2_access_key',
      'ec2_secret_key',
      'AWS_ACCESS_KEY_ID',
      'EC2_ACCESS_KEY',
      'AWS_PROFILE',
      'profile=',
    ])
      expect(error.hint).toContain(key);
  });

  it('names the profile when profile= is set but has no credentials', () => {
    const withProfile = readEc2CloudSettings({
      name: 'aws',
      provider: 'ec2_boto',
      settings: { ec2_region: 'us-east-1', profile: 'research' },
    });
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const error = toProviderError(missing, { ...ctx, cloud: withProfile });
    expect(error.code).toBe('Ec2CredentialsMissing');
    expect(error.message).toContain('[cloud/aws] profile=research: no credentials found for this profile');
    expect(error.hint).toContain('[profile research]');
  });

  it('says which endpoint cannot be reached', () => {
    const local = readEc2CloudSettings({
      name: 'aws',
      provider: 'ec2_boto',
      settings: { ec2_region: 'us-east-1', ec2_url: 'http://127.0.0.1:1' },
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = toProviderError(refused, { cloud: local, action: 'DescribeKeyPairs' });
    expect(error.code).toBe('Ec2Unreachable');
    expect(error.message).toContain('ec2_url=http://127.0.0.1:1');
  });

  it('turns an aborted call into an interruption', () => {
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(toProviderError(aborted, ctx)).toBeInstanceOf(AbortError);
  });
});

describe('isCapacityError', () => {
  it.each([
    ['InsufficientInstanceCapacity', true],
    ['Unsupported', true],
    ['InstanceLimitExceeded', true],
    ['SpotMaxPriceTooLow', true],
    ['InsufficientFreeAddressesInSubnet', true],
    ['InvalidAMIID.NotFound', false],
    ['AuthFailure', false],
  ])('%s -> %s', (code, expected) => {
    expect(isCapacityError(awsError(code))).toBe(expected);
  });
});
