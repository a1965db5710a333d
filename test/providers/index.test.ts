import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.js';
import { createProvider } from '../../src/providers/index.js';
import { silentLogger } from '../../src/ui/log.js';

const context = { storageDir: '/nonexistent', log: silentLogger };

describe('createProvider', () => {
  it('loads the local provider', async () => {
    const provider = await createProvider({ name: 'lab', provider: 'local', settings: {} }, context);
    expect(provider.name).toBe('local');
  });

  it.each([
    ['ec2_boto', /\[cloud\/c\] provider=ec2_boto \(Amazon EC2\).*cannot start nodes on it yet/],
    ['google', /\[cloud\/c\] provider=google \(Google Compute Engine\).*cannot start nodes on it yet/],
    ['openstack', /provider=openstack \(OpenStack\)/],
  ] as const)('says clearly that %s cannot start nodes yet', async (name, issue) => {
    const error = await createProvider({ name: 'c', provider: name, settings: {} }, context).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('ProviderNotImplemented');
    expect((error as Error).message).toMatch(issue);
  });
});
