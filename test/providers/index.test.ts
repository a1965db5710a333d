import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { assertCanStart, createProvider } from '../../src/providers/index.js';
import { silentLogger } from '../../src/ui/log.js';

const context = { storageDir: '/nonexistent', log: silentLogger };

describe('createProvider', () => {
  it('loads the local provider', async () => {
    const provider = await createProvider({ name: 'lab', provider: 'local', settings: {} }, context);
    expect(provider.name).toBe('local');
  });

  it('loads the EC2 provider for provider=ec2_boto', async () => {
    const provider = await createProvider(
      {
        name: 'aws',
        provider: 'ec2_boto',
        settings: { ec2_region: 'us-east-1', ec2_access_key: 'k', ec2_secret_key: 's' },
      },
      context,
    );
    expect(provider.name).toBe('ec2_boto');
  });

  it('loads the GCE provider for provider=google', async () => {
    const provider = await createProvider(
      { name: 'gce', provider: 'google', settings: { gce_project_id: 'my-project', zone: 'us-central1-a' } },
      context,
    );
    expect(provider.name).toBe('google');
  });

  it('says clearly that OpenStack cannot start nodes yet', async () => {
    const error = await createProvider({ name: 'c', provider: 'openstack', settings: {} }, context).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('ProviderNotImplemented');
    expect((error as Error).message).toMatch(
      /\[cloud\/c\] provider=openstack: this provider cannot start nodes yet\. herd reads and validates OpenStack templates/,
    );
  });

  it.each([
    ['azure', 'Microsoft Azure'],
    ['libcloud', 'Apache Libcloud'],
    ['opennebula', 'OpenNebula'],
  ] as const)('provider=%s: assertCanStart refuses before anything is recorded', (provider, cloud) => {
    expect(() => assertCanStart({ name: 'x', provider, settings: {} })).toThrow(
      new RegExp(`provider=${provider}: this provider cannot start nodes yet.*${cloud}`),
    );
    expect(() => assertCanStart({ name: 'x', provider: 'ec2_boto', settings: {} })).not.toThrow();
  });
});
