import { describe, expect, it } from 'vitest';
import { ec2ClientConfig } from '../../../src/providers/ec2/client.js';
import {
  readEc2CloudSettings,
  readEc2KindSettings,
  splitNetworkIds,
} from '../../../src/providers/ec2/settings.js';

const section = (settings: Record<string, string | number | boolean>) => ({
  name: 'aws',
  provider: 'ec2_boto' as const,
  settings: { ec2_region: 'us-east-1', ...settings },
});

describe('EC2 settings', () => {
  it('uses static keys when both are set, and the default chain with a profile otherwise', () => {
    const keys = ec2ClientConfig(
      readEc2CloudSettings(section({ ec2_access_key: 'AK', ec2_secret_key: 'SK', profile: 'p' })),
    );
    expect(keys.credentials).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });
    expect(keys).not.toHaveProperty('profile');
    const chain = ec2ClientConfig(
      readEc2CloudSettings(section({ profile: 'research', ec2_url: 'http://127.0.0.1:5000' })),
    );
    expect(chain).not.toHaveProperty('credentials');
    expect(chain).toMatchObject({
      profile: 'research',
      endpoint: 'http://127.0.0.1:5000',
      region: 'us-east-1',
      retryMode: 'adaptive',
    });
  });

  it('refuses an access key without its secret (and the reverse), naming both keys and the variables', () => {
    for (const half of [{ ec2_access_key: 'AK' }, { ec2_secret_key: 'SK' }] as Record<string, string>[]) {
      let error: unknown;
      try {
        readEc2CloudSettings(section(half));
      } catch (e) {
        error = e;
      }
      expect((error as { code: string }).code).toBe('Ec2CredentialsIncomplete');
      expect((error as Error).message).toMatch(
        /\[cloud\/aws\] sets ec2_(access|secret)_key but not ec2_(secret|access)_key/,
      );
      expect((error as { hint: string }).hint).toMatch(/AWS_SECRET_ACCESS_KEY/);
    }
  });

  it('splits network_ids in order, blanks and duplicates aside', () => {
    expect(splitNetworkIds(' subnet-b , subnet-a,,subnet-b ')).toEqual(['subnet-b', 'subnet-a']);
    expect(splitNetworkIds(undefined)).toEqual([]);
  });

  it('names the missing key and the sections to set it in', () => {
    const cloud = readEc2CloudSettings(section({}));
    expect(() =>
      readEc2KindSettings({ flavor: 't3.micro' }, cloud, { cluster: 'lab', kind: 'compute' }),
    ).toThrow(/\[cluster\/lab\] image_id is not set for kind compute/);
  });
});
