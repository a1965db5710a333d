/**
 * How herd authenticates and talks HTTP to OpenStack, against the fake: password and application
 * credential tokens, clouds.yaml, the catalog's interface and region, token reuse and renewal,
 * retries, microversions, and a CA bundle for HTTPS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { ConfigError, type ProviderError } from '../../../src/errors.js';
import { OpenStackClient } from '../../../src/providers/openstack/client.js';
import { readOpenStackCloudSettings } from '../../../src/providers/openstack/settings.js';
import { fetchTransport, tlsTransport } from '../../../src/providers/openstack/transport.js';
import { silentLogger } from '../../../src/ui/log.js';
import type { FakeOpenStack } from '../../fakes/openstack/index.js';
import { cloudSection, cluster, createRequest, providerFor, quickFake } from './helpers.js';

let fake: FakeOpenStack | undefined;
afterEach(async () => {
  await fake?.stop();
  fake = undefined;
});

const quietLog = silentLogger;

describe('credentials', () => {
  it('authenticates with an application credential (no scope) and uses its project', async () => {
    fake = await quickFake({
      applicationCredentials: [
        { id: 'ac1', name: 'herd-ci', secret: 's3cr3t', user: 'herd', project: 'herd-project' },
      ],
    });
    const { provider } = await providerFor({
      name: 'os',
      provider: 'openstack',
      settings: {
        auth_url: fake.url,
        application_credential_id: 'ac1',
        application_credential_secret: 's3cr3t',
      },
    });
    await provider.createNodes(createRequest('c1', 'compute', 1));
    expect(fake.tokensIssued).toEqual({ application_credential: 1 });
    const issue = fake.requests.find((r) => r.name === 'identity.tokens.issue')!;
    expect(issue.body).toEqual({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: 'ac1', secret: '***' },
        },
      },
    });
    expect(fake.servers()).toHaveLength(1);
  });

  it('sends user and project by id, and the default domain by id when no domain is given', async () => {
    fake = await quickFake({
      users: [{ id: 'u-1', name: 'herd', password: 'secret' }],
      projects: [{ id: 'p-1', name: 'herd-project' }],
    });
    const byId = await providerFor({
      name: 'os',
      provider: 'openstack',
      settings: { auth_url: fake.authUrl, user_id: 'u-1', password: 'secret', project_id: 'p-1' },
    });
    await byId.provider.findNodes(cluster('c1'));
    const byName = await providerFor({
      name: 'os',
      provider: 'openstack',
      settings: {
        auth_url: fake.authUrl,
        username: 'herd',
        password: 'secret',
        project_name: 'herd-project',
      },
    });
    await byName.provider.findNodes(cluster('c1'));
    const bodies = fake.requests.filter((r) => r.name === 'identity.tokens.issue').map((r) => r.body);
    expect(bodies).toEqual([
      {
        auth: {
          identity: { methods: ['password'], password: { user: { id: 'u-1', password: '***' } } },
          scope: { project: { id: 'p-1' } },
        },
      },
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'herd', domain: { id: 'default' }, password: '***' } },
          },
          scope: { project: { name: 'herd-project', domain: { id: 'default' } } },
        },
      },
    ]);
  });

  it('reads a clouds.yaml entry (cloud= or OS_CLOUD) with its password from secure.yaml; config keys win', async () => {
    fake = await quickFake();
    const dir = mkdtempSync(join(tmpdir(), 'herd-clouds-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'clouds.yaml'),
      `clouds:\n  lab:\n    auth:\n      auth_url: ${fake.authUrl}\n      username: herd\n      project_name: herd-project\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: internal\n    identity_api_version: 3\n`,
    );
    writeFileSync(join(dir, 'secure.yaml'), 'clouds:\n  lab:\n    auth:\n      password: secret\n');
    const { provider } = await providerFor(
      { name: 'os', provider: 'openstack', settings: { cloud: 'lab' } },
      { env: { OS_CLIENT_CONFIG_FILE: join(dir, 'clouds.yaml') } },
    );
    await provider.findNodes(cluster('c1'));
    const list = fake.requests.find((r) => r.name === 'compute.servers.list_detail')!;
    expect(list.path).toMatch(/^\/internal\/compute\/v2\.1\/servers\/detail$/);

    const settings = await readOpenStackCloudSettings(
      { name: 'os', provider: 'openstack', settings: { cloud: 'lab', interface: 'public' } },
      { env: {}, cwd: dir },
    );
    expect(settings.interface).toBe('public');
    expect(settings.cloudsYaml).toEqual({ file: join(dir, 'clouds.yaml'), name: 'lab' });

    const wrong = await readOpenStackCloudSettings(
      { name: 'os', provider: 'openstack', settings: { cloud: 'prod' } },
      { env: {}, cwd: dir },
    ).catch((e: unknown) => e);
    expect((wrong as ProviderError).code).toBe('OpenStackCloudNotFound');
    expect((wrong as Error).message).toMatch(/clouds\.yaml has no entry "prod" \(it has: lab\)/);
  });

  it('reports every missing credential at once as a config error', async () => {
    const error = await readOpenStackCloudSettings(
      {
        name: 'os',
        provider: 'openstack',
        settings: { auth_type: 'v3applicationcredential', auth_url: 'https://ks' },
      },
      { env: {}, cwd: '/' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.key)).toEqual([
      'application_credential_secret',
      'application_credential_id',
    ]);
  });

  it('refuses Keystone v2 with the key to change', async () => {
    const error = await readOpenStackCloudSettings(
      {
        name: 'os',
        provider: 'openstack',
        settings: {
          auth_url: 'https://ks:5000/v2.0',
          identity_api_version: '2',
          username: 'u',
          password: 'p',
          project_name: 'x',
        },
      },
      { env: {}, cwd: '/' },
    ).catch((e: unknown) => e);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({
        key: 'identity_api_version',
        message: expect.stringMatching(/removed from OpenStack in 2018; set identity_api_version=3/),
      }),
    ]);
  });
});

describe('the service catalog', () => {
  it('names the region and interface the catalog has when the wanted one is missing', async () => {
    fake = await quickFake({ region: 'RegionOne' });
    const { provider } = await providerFor(cloudSection(fake, { region_name: 'RegionTwo' }));
    const error = await provider.findNodes(cluster('c1')).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('OpenStackEndpointMissing');
    expect((error as Error).message).toMatch(
      /the compute service has no public endpoint in region RegionTwo \(it has: public in RegionOne, internal in RegionOne, admin in RegionOne\)/,
    );
    expect((error as ProviderError).hint).toMatch(/Check region_name and interface in \[cloud\/os\]/);
  });
});

describe('tokens and retries', () => {
  it('reuses one token across calls and authenticates again when a service says 401', async () => {
    fake = await quickFake();
    const { provider } = await providerFor(cloudSection(fake));
    for (let i = 0; i < 5; i++) await provider.findNodes(cluster('c1'));
    expect(fake.tokensIssued).toEqual({ password: 1 });
    fake.expireTokens();
    await provider.findNodes(cluster('c1'));
    expect(fake.tokensIssued).toEqual({ password: 2 });
  });

  it('renews the token before it expires', async () => {
    // The clock is moved by hand (client and fake both read Date), so a loaded machine cannot make
    // the token look old before the test means it to.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      fake = await quickFake({ tokenTtlMs: 60_000 });
      const settings = await readOpenStackCloudSettings(cloudSection(fake), { env: {}, cwd: '/' });
      const client = new OpenStackClient(settings, {
        transport: fetchTransport(),
        log: quietLog,
        renewBeforeMs: 30_000,
      });
      await client.call('network', 'GET', '/v2.0/networks');
      vi.setSystemTime(Date.now() + 29_000);
      await client.call('network', 'GET', '/v2.0/networks');
      expect(fake.tokensIssued).toEqual({ password: 1 });
      // 29 s left of 60: still valid, but within renewBeforeMs of its end.
      vi.setSystemTime(Date.now() + 2_000);
      await client.call('network', 'GET', '/v2.0/networks');
      expect(fake.tokensIssued).toEqual({ password: 2 });
      expect(fake.calls['network.networks.list']).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries 503 (honouring Retry-After), 429 and 409 on reads; never repeats a server create after a 500', async () => {
    fake = await quickFake();
    fake.failRequests({ match: 'network.networks.list', status: 503, times: 2, retryAfter: 0 });
    fake.failRequests({ match: 'compute.flavors.list_detail', status: 429, times: 1 });
    fake.failRequests({ match: 'network.security_groups.list', status: 409, times: 1 });
    fake.failRequests({
      match: 'compute.servers.create',
      status: 500,
      times: 1,
      message: 'Unexpected API Error.',
    });
    const { provider, log } = await providerFor(cloudSection(fake));
    const result = await provider.createNodes(createRequest('c1', 'compute', 2, { network_ids: 'private' }));
    expect(fake.calls['network.networks.list']).toBe(3);
    expect(fake.calls['compute.flavors.list_detail']).toBe(2);
    expect(fake.calls['compute.servers.create']).toBe(2);
    expect(result.created).toHaveLength(1);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.error.message).toMatch(
      /Unexpected API Error\. \(compute POST \/servers answered 500; request req-/,
    );
    expect(log.debug.join('\n')).toMatch(/network GET \/v2\.0\/networks: HTTP 503; retrying in 0 ms/);
  });

  it('says plainly when Nova is older than herd needs, and obeys compute_api_version', async () => {
    fake = await quickFake({ maxMicroversion: '2.40' });
    const { provider } = await providerFor(cloudSection(fake));
    const error = await provider.findNodes(cluster('c1')).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('OpenStackComputeTooOld');
    expect((error as Error).message).toMatch(/Nova offers API microversions up to 2\.40; herd needs 2\.52/);
    fake.setMaxMicroversion('2.96');
    const capped = await providerFor(cloudSection(fake, { compute_api_version: '2.60' }));
    await capped.provider.createNodes(createRequest('c1', 'compute', 1, { network_ids: 'private' }));
    expect(
      fake.requests.filter((r) => r.service === 'compute' && r.microversion).map((r) => r.microversion),
    ).toContain('2.60');
    expect(fake.requests.find((r) => r.name === 'compute.servers.create')!.microversion).toBe('2.60');
  });

  it('reports an unreachable cloud with the key to check', async () => {
    const { provider } = await providerFor(
      {
        name: 'os',
        provider: 'openstack',
        settings: { auth_url: 'http://127.0.0.1:1/v3', username: 'u', password: 'p', project_name: 'x' },
      },
      { retryBaseMs: 1 },
    );
    const error = await provider.findNodes(cluster('c1')).catch((e: unknown) => e);
    expect((error as ProviderError).code).toBe('OpenStackUnreachable');
    expect((error as ProviderError).hint).toMatch(/Check auth_url in \[cloud\/os\]/);
  });
});

describe('HTTPS with a CA bundle (cacert)', () => {
  it('verifies the cloud with cacert, and without it says which key to set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-tls-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const { readFileSync } = await import('node:fs');
    const server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => {
        res.setHeader('x-subject-token', 'tok');
        res.statusCode = 201;
        res.end(
          JSON.stringify({
            token: { expires_at: new Date(Date.now() + 3_600_000).toISOString(), catalog: [] },
          }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v3`;
    try {
      const cloud = {
        name: 'os',
        provider: 'openstack' as const,
        settings: {
          auth_url: url,
          username: 'u',
          password: 'p',
          project_name: 'x',
          cacert: join(dir, 'cert.pem'),
        },
      };
      const settings = await readOpenStackCloudSettings(cloud, { env: {}, cwd: '/' });
      const trusted = new OpenStackClient(settings, {
        transport: await tlsTransport(settings),
        log: quietLog,
      });
      expect((await trusted.tokenInfo()).expiresAt).toBeGreaterThan(Date.now());
      const untrusted = new OpenStackClient(
        { ...settings, cacert: undefined },
        { transport: fetchTransport(), log: quietLog, attempts: 1 },
      );
      const error = await untrusted.tokenInfo().catch((e: unknown) => e);
      expect((error as ProviderError).code).toBe('OpenStackUnreachable');
      expect((error as ProviderError).hint).toMatch(/Point cacert in \[cloud\/os\] \(or OS_CACERT\)/);
    } finally {
      server.close();
    }
  });
});
