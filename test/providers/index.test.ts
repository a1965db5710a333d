import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
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

  it('loads the OpenStack provider for provider=openstack', async () => {
    const provider = await createProvider(
      {
        name: 'os',
        provider: 'openstack',
        settings: {
          auth_url: 'https://keystone.example.org:5000',
          username: 'u',
          password: 'p',
          project_name: 'x',
        },
      },
      context,
    );
    expect(provider.name).toBe('openstack');
  });

  it('reports every missing OpenStack credential at once, with where each could come from', async () => {
    const error = await createProvider({ name: 'c', provider: 'openstack', settings: {} }, context).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).problems.map((p) => p.key)).toEqual([
      'auth_url',
      'username',
      'password',
      'project_name',
    ]);
    expect((error as Error).message).toMatch(
      /\[cloud\/c\] auth_url: missing: .*export OS_AUTH_URL.*cloud= \(or OS_CLOUD\)/,
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
