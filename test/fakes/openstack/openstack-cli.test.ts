/**
 * The fake checked by a client nobody here wrote: Debian's python3-openstackclient (the `openstack`
 * command, with keystoneauth, novaclient and openstacksdk underneath) authenticates against the fake,
 * follows its catalog and creates, lists and deletes key pairs, security groups and rules, servers
 * (also booted from a volume), floating IPs and volumes. If the fake's shapes drifted from the real
 * APIs, this client would fail to parse them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenStack, startFakeOpenStack } from './index.js';

const run = promisify(execFile);
let fake: FakeOpenStack;
let home: string;
let publicKeyFile: string;

beforeAll(async () => {
  fake = await startFakeOpenStack({
    privateSubnet: '10.120.3.0/24',
    schedulingDelayMs: 20,
    spawnDelayMs: 50,
    deleteDelayMs: 50,
  });
  home = mkdtempSync(join(tmpdir(), 'herd-osc-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(home, 'key')]);
  publicKeyFile = join(home, 'key.pub');
});

afterAll(async () => {
  await fake.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Runs `openstack ARGS` as a user with OS_* variables would; resolves with what it printed. */
async function plain(args: readonly string[], password = 'secret'): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: home,
    OS_AUTH_URL: fake.authUrl,
    OS_USERNAME: 'herd',
    OS_PASSWORD: password,
    OS_PROJECT_NAME: 'herd-project',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_IDENTITY_API_VERSION: '3',
    OS_REGION_NAME: 'RegionOne',
  };
  const { stdout } = await run('openstack', [...args], { env, timeout: 60_000 });
  return stdout;
}

/** Runs `openstack ARGS -f json` and parses what it prints. */
async function openstack(...args: string[]): Promise<unknown> {
  return JSON.parse(await plain([...args, '-f', 'json']));
}

/** The failure of an `openstack` command: exit code and what it printed. */
async function openstackFails(
  args: readonly string[],
  password?: string,
): Promise<{ code: number; stderr: string }> {
  try {
    await plain(args, password);
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    return { code: e.code ?? -1, stderr: e.stderr ?? '' };
  }
  throw new Error(`openstack ${args.join(' ')} succeeded`);
}

/** `openstack security group rule create` for SSH from 10.0.0.0/8 into clisg. */
const SSH_RULE = [
  'security',
  'group',
  'rule',
  'create',
  '--protocol',
  'tcp',
  '--dst-port',
  '22',
  '--remote-ip',
  '10.0.0.0/8',
  'clisg',
];

/** `openstack server create NAME` of debian-12 / m1.small on the private network, waiting for ACTIVE. */
function createServer(name: string, ...extra: string[]): Promise<unknown> {
  return openstack(
    'server',
    'create',
    '--image',
    'debian-12',
    '--flavor',
    'm1.small',
    '--network',
    'private',
    ...extra,
    '--wait',
    name,
  );
}

describe('the openstack CLI against the fake', () => {
  it('is installed (scripts/install-deps.sh installs python3-openstackclient)', () => {
    expect(() => execFileSync('openstack', ['--version'], { stdio: 'pipe' })).not.toThrow();
  });

  it('imports, lists and deletes a key pair; Nova reports the MD5 fingerprint of the key', {
    timeout: 60_000,
  }, async () => {
    const created = (await openstack('keypair', 'create', '--public-key', publicKeyFile, 'clikey')) as Record<
      string,
      string
    >;
    const blob = Buffer.from(readFileSync(publicKeyFile, 'utf8').split(' ')[1]!, 'base64');
    const md5 = (await import('node:crypto'))
      .createHash('md5')
      .update(blob)
      .digest('hex')
      .match(/../g)!
      .join(':');
    expect(created['fingerprint']).toBe(md5);
    const listed = (await openstack('keypair', 'list')) as { Name: string; Fingerprint: string }[];
    expect(listed).toEqual([expect.objectContaining({ Name: 'clikey', Fingerprint: md5 })]);
    const dup = await openstackFails(['keypair', 'create', '--public-key', publicKeyFile, 'clikey']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/409.*Key pair 'clikey' already exists/);
  });

  it('shows the absolute limits herd checks before a start (instances, cores)', {
    timeout: 60_000,
  }, async () => {
    const limits = (await openstack('limits', 'show', '--absolute')) as { Name: string; Value: number }[];
    const value = (name: string) => limits.find((l) => l.Name === name)?.Value;
    expect(value('maxTotalInstances')).toBe(-1);
    expect(value('totalInstancesUsed')).toBe(0);
    expect(value('totalCoresUsed')).toBe(0);
  });

  it('creates security groups and rules, runs servers in them, adds floating IPs, and deletes it all', {
    timeout: 180_000,
  }, async () => {
    const group = (await openstack(
      'security',
      'group',
      'create',
      '--description',
      'cli test',
      'clisg',
    )) as Record<string, unknown>;
    expect(group['name']).toBe('clisg');
    const rule = (await openstack(...SSH_RULE)) as Record<string, unknown>;
    expect(rule).toMatchObject({
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: '10.0.0.0/8',
      direction: 'ingress',
    });
    const again = await openstackFails(SSH_RULE);
    expect(again.stderr).toMatch(/Security group rule already exists/);

    const server = (await createServer('vm1', '--key-name', 'clikey', '--security-group', 'clisg')) as Record<
      string,
      unknown
    >;
    expect(server['status']).toBe('ACTIVE');
    expect(server['addresses']).toEqual({ private: ['10.120.3.2'] });
    const volumeServer = (await createServer('vm2', '--boot-from-volume', '10')) as Record<string, unknown>;
    expect(volumeServer['status']).toBe('ACTIVE');
    const volumes = (await openstack('volume', 'list')) as { ID: string; Size: number; Status: string }[];
    expect(volumes.map((v) => [v.Size, v.Status])).toEqual([[10, 'in-use']]);

    const servers = (await openstack('server', 'list')) as {
      Name: string;
      Status: string;
      Networks: unknown;
    }[];
    expect(servers.map((s) => [s.Name, s.Status]).sort()).toEqual([
      ['vm1', 'ACTIVE'],
      ['vm2', 'ACTIVE'],
    ]);

    const fip = (await openstack('floating', 'ip', 'create', 'public')) as Record<string, string>;
    expect(fip['floating_ip_address']).toMatch(/^203\.0\.113\.\d+$/);
    await plain(['server', 'add', 'floating', 'ip', 'vm1', fip['floating_ip_address']!]);
    const fips = (await openstack('floating', 'ip', 'list')) as Record<string, string>[];
    expect(fips).toEqual([
      expect.objectContaining({
        'Floating IP Address': fip['floating_ip_address'],
        'Fixed IP Address': '10.120.3.2',
      }),
    ]);
    const shown = (await openstack('server', 'show', 'vm1')) as Record<string, unknown>;
    expect(shown['addresses']).toEqual({ private: ['10.120.3.2', fip['floating_ip_address']] });

    // herd pause / resume: os-stop and os-start as the client sends them, SHUTOFF and back to ACTIVE.
    await plain(['server', 'stop', 'vm1']);
    await expect
      .poll(async () => ((await openstack('server', 'show', 'vm1')) as Record<string, unknown>)['status'])
      .toBe('SHUTOFF');
    const twice = await openstackFails(['server', 'stop', 'vm1']);
    expect(twice.stderr).toMatch(/Cannot 'stop' instance .* vm_state stopped/);
    await plain(['server', 'start', 'vm1']);
    await expect
      .poll(async () => ((await openstack('server', 'show', 'vm1')) as Record<string, unknown>)['status'])
      .toBe('ACTIVE');

    const inUse = await openstackFails(['security', 'group', 'delete', 'clisg']);
    expect(inUse.stderr).toMatch(/in use/);

    await plain(['server', 'delete', '--wait', 'vm1', 'vm2']);
    expect(await openstack('server', 'list')).toEqual([]);
    // The CLI boots from a volume that outlives the server (delete_on_termination false): delete it.
    const left = (await openstack('volume', 'list')) as { ID: string; Status: string }[];
    expect(left.map((v) => v.Status)).toEqual(['available']);
    await plain(['volume', 'delete', left[0]!.ID]);
    await plain(['floating', 'ip', 'delete', fip['floating_ip_address']!]);
    await plain(['security', 'group', 'delete', 'clisg']);
    await plain(['keypair', 'delete', 'clikey']);

    expect(await openstack('floating', 'ip', 'list')).toEqual([]);
    expect(await openstack('keypair', 'list')).toEqual([]);
    expect(((await openstack('security', 'group', 'list')) as { Name: string }[]).map((g) => g.Name)).toEqual(
      ['default'],
    );
    expect(fake.servers()).toEqual([]);
    expect(fake.ports()).toEqual([]);
    expect(fake.volumes()).toEqual([]);
  });

  it('reports Nova 404s and wrong passwords as the real cloud would make it', {
    timeout: 60_000,
  }, async () => {
    const missing = await openstackFails(['server', 'show', 'nosuch']);
    expect(missing.stderr).toMatch(/No server with a name or ID of 'nosuch' exists/);
    expect(fake.calls['compute.servers.show']).toBeGreaterThan(0);
    const refused = await openstackFails(['server', 'list'], 'wrong');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/The request you have made requires authentication\. \(HTTP 401\)/);
  });
});
