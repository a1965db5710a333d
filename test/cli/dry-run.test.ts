/**
 * `start --dry-run`, `resize --dry-run` and `herd check` through the CLI, against moto_server (calls
 * counted by the proxy in front of it), the GCE fake (its own counters) and this host for the local
 * provider: the plans and checks they print, and proof that nothing was created anywhere.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { StateRepository } from '../../src/state/index.js';
import { redactTemplate } from '../../src/state/redact.js';
import { type ClusterState, STATE_VERSION } from '../../src/state/types.js';
import { type FakeGce, startFakeGce } from '../fakes/gce/index.js';
import { type FakeOpenStack, startFakeOpenStack } from '../fakes/openstack/index.js';
import { makeTempDir, runHerd } from '../helpers/cli.js';
import { type FaultProxy, startFaultProxy } from '../helpers/ec2-fault-proxy.js';
import { type MotoServer, startMoto } from '../helpers/moto.js';

const GCE_READS = new Set([
  'zones.get',
  'regions.get',
  'images.get',
  'images.getFromFamily',
  'machineTypes.get',
  'instances.list',
]);
const BRIDGE = 'htl8';

let moto: MotoServer;
let proxy: FaultProxy;
let fake: FakeGce;
let openstack: FakeOpenStack;
let home: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string | undefined>;
let storage: string;
let cache: string;

function config(): string {
  return `[cloud/aws]
provider=ec2_boto
ec2_region=us-east-1
ec2_url=${proxy.url}
ec2_access_key=testing
ec2_secret_key=testing

[cloud/gce]
provider=google
gce_project_id=herd-test
gce_api_endpoint=${fake.url}
zone=us-central1-a

[cloud/os]
provider=openstack
auth_url=${openstack.authUrl}
username=herd
password=secret
project_name=herd-project

[cloud/local]
provider=local
bridge=${BRIDGE}
subnet=10.143.8.0/24

[login/aws]
image_user=admin

[login/gce]
image_user=herd

[login/local]
image_user=root

[setup/slurm]
provider=ansible
frontend_groups=slurm_master
compute_groups=slurm_worker

[cluster/aws-slurm]
cloud=aws
login=aws
setup=slurm
image_id=ami-1e749f67
flavor=t3.micro
frontend_nodes=1
compute_nodes=2

[cluster/aws-broken]
cloud=aws
login=aws
setup=slurm
image_id=ami-12345678
flavor=t3.micro
frontend_nodes=1
compute_nodes=1

[cluster/gce-slurm]
cloud=gce
login=gce
setup=slurm
image_id=debian-12
flavor=e2-small
external_ip=false
frontend_nodes=1
compute_nodes=2

[cluster/os-slurm]
cloud=os
login=gce
setup=slurm
image_id=debian-12
flavor=m1.small
network_ids=private
security_group=default,herd-extra
frontend_nodes=1
compute_nodes=2

[cluster/os-broken]
cloud=os
login=gce
setup=slurm
image_id=debian-13
flavor=m1.nope
network_ids=private
frontend_nodes=1

[cluster/local-slurm]
cloud=local
login=local
setup=slurm
image_id=debian-12-hpc
frontend_nodes=1
compute_nodes=2
`;
}

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.url);
  fake = await startFakeGce({ runningDelayMs: 3_600_000 });
  // Guests never boot; a project with room for 2 cores.
  openstack = await startFakeOpenStack({ spawnDelayMs: 3_600_000, quota: { cores: 2 } });
  home = await makeTempDir('herd-dry-run-');
  storage = join(home.dir, 'storage');
  cache = join(home.dir, 'images');
  await mkdir(storage, { recursive: true, mode: 0o700 });
  await mkdir(cache);
  await writeFile(join(home.dir, 'config'), config());
  env = {
    HOME: home.dir,
    HERD_CONFIG: join(home.dir, 'config'),
    HERD_STORAGE: storage,
    HERD_IMAGE_CACHE: cache,
    GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token',
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: undefined,
    METADATA_SERVER_DETECTION: 'none',
    // Only the config speaks for OpenStack.
    ...Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => k.startsWith('OS_'))
        .map((k) => [k, undefined]),
    ),
  };
});

afterAll(async () => {
  await fake?.stop();
  await openstack?.stop();
  await proxy?.stop();
  await moto?.stop();
  await home?.cleanup();
});

beforeEach(() => {
  proxy.resetCounts();
  fake.resetCalls();
  openstack.resetCalls();
});

const herd = (args: string[], extra: Record<string, string | undefined> = {}) =>
  runHerd(args, { env: { ...env, ...extra }, timeoutMs: 120_000 });

/** EC2 actions other than Describe* that reached moto. */
const ec2Writes = () => Object.keys(proxy.counts()).filter((a) => !a.startsWith('Describe'));
/** GCE methods other than reads that reached the fake. */
const gceWrites = () => Object.keys(fake.calls).filter((m) => !GCE_READS.has(m));
/** OpenStack requests other than GET (a token aside: issuing one creates nothing in the project). */
const openStackWrites = () =>
  openstack.requests
    .filter((r) => r.method !== 'GET' && r.name !== 'identity.tokens.issue')
    .map((r) => r.name);
/** What the fake project holds that herd could have created. */
const openStackResources = () => ({
  servers: openstack.servers().length,
  keyPairs: openstack.keyPairs().length,
  securityGroups: openstack.securityGroups().map((g) => g.name),
  floatingIps: openstack.floatingIps().length,
});

describe('start --dry-run', () => {
  it('EC2: prints the plan as JSON, checked with Describe calls only; creates nothing', async () => {
    const r = await herd(['start', 'aws-slurm', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({
      action: 'start',
      cluster: 'aws-slurm',
      existing: false,
      validated: true,
      ok: true,
    });
    expect(plan.create.map((k: { kind: string; names: string[] }) => [k.kind, k.names])).toEqual([
      ['frontend', ['frontend001']],
      ['compute', ['compute001', 'compute002']],
    ]);
    expect(plan.create[0].image).toMatch(/^ami-1e749f67 \(ubuntu/);
    expect(plan.resources.map((x: { type: string; action: string }) => `${x.action} ${x.type}`)).toEqual([
      'create ssh-key',
      'create key-pair',
      'create security-group',
    ]);
    expect(Object.keys(proxy.counts()).length).toBeGreaterThan(0);
    expect(ec2Writes()).toEqual([]);
    expect(await readdir(storage)).toEqual([]);
  });

  it('EC2: a failing check exits 1 and says what to fix, still creating nothing', async () => {
    const r = await herd(['start', 'aws-broken', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL  image (frontend): [cluster/aws-broken] image_id=ami-12345678');
    expect(r.stdout).toContain('-- fix: AMIs are per region');
    expect(r.stdout).toContain('check(s) failed: the start would fail. Fix them first.');
    expect(ec2Writes()).toEqual([]);
    expect(await readdir(storage)).toEqual([]);
  });

  it('GCE: GET calls only, no instance, no state', async () => {
    const r = await herd(['start', 'gce-slurm', '-n', 'g1', '--nodes', '3:compute', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Create 4 node(s):');
    expect(r.stdout).toMatch(
      /compute +3 +compute\[001-003\] +projects\/debian-cloud\/global\/images\/family\/debian-12/,
    );
    expect(r.stdout).toContain('ok    quota: CPUS in us-central1: 0 of 24 used, 8 more requested');
    expect(fake.calls['zones.get']).toBeGreaterThan(0);
    expect(gceWrites()).toEqual([]);
    expect(fake.instances()).toEqual([]);
    expect(await readdir(storage)).toEqual([]);
  });

  it('OpenStack: a token and GET calls only; plans key pair and groups, warns on quota; creates nothing', async () => {
    const before = openStackResources();
    const r = await herd(['start', 'os-slurm', '-n', 'o1', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ action: 'start', cluster: 'o1', validated: true, ok: true });
    expect(plan.create.map((k: { kind: string; names: string[] }) => [k.kind, k.names])).toEqual([
      ['frontend', ['frontend001']],
      ['compute', ['compute001', 'compute002']],
    ]);
    expect(plan.create[0].image).toMatch(/^debian-12 \([0-9a-f-]{36}\)$/);
    expect(
      plan.resources.map(
        (x: { type: string; action: string; name: string }) => `${x.action} ${x.type} ${x.name}`,
      ),
    ).toEqual([
      `create ssh-key ${join(storage, 'o1.key')}`,
      // A new cluster is planned with the fresh id start would give it.
      expect.stringMatching(/^create key-pair herd-o1-[0-9a-f]{8}$/),
      expect.stringMatching(/^use security-group default \(/),
      'create security-group herd-extra',
    ]);
    const checks = plan.checks.map((c: { status: string; id: string }) => `${c.status} ${c.id}`);
    expect(checks).toEqual(
      expect.arrayContaining([
        'ok credentials',
        'ok region',
        'ok image',
        'ok flavor',
        'ok network',
        'warn security-group',
        'warn quota',
      ]),
    );
    expect(plan.checks).toContainEqual(
      expect.objectContaining({
        id: 'quota',
        status: 'warn',
        message: 'cores: 0 of 2 used, 3 more requested',
      }),
    );
    expect(openstack.calls['compute.limits.show']).toBe(1);
    // The password (password=secret in the config) is in no line herd printed.
    expect(r.stdout + r.stderr).not.toContain('secret');
    expect(openStackWrites()).toEqual([]);
    expect(openStackResources()).toEqual(before);
    expect(await readdir(storage)).toEqual([]);
  });

  it('OpenStack: a missing image and flavor fail with close matches, exit 1, nothing created', async () => {
    const r = await herd(['start', 'os-broken', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'FAIL  image (frontend): [cluster/os-broken] image_id=debian-13 (kind frontend): no image of that name or id. Close matches: debian-12',
    );
    expect(r.stdout).toContain('FAIL  flavor (frontend): [cluster/os-broken] flavor=m1.nope');
    expect(openStackWrites()).toEqual([]);
    expect(await readdir(storage)).toEqual([]);
  });

  it('local: plans the bridge and the image build, and touches nothing on the host', async () => {
    const r = await herd(['start', 'local-slurm', '--dry-run', '--json']);
    const plan = JSON.parse(r.stdout);
    expect(
      plan.resources.map(
        (x: { type: string; action: string; name: string }) => `${x.action} ${x.type} ${x.name}`,
      ),
    ).toEqual([
      `create ssh-key ${join(storage, 'local-slurm.key')}`,
      expect.stringMatching(/^create image debian-12-[0-9a-f]{8}$/),
      expect.stringMatching(/^create image debian-12-hpc-[0-9a-f]{8}$/),
      `create bridge ${BRIDGE}`,
    ]);
    expect(existsSync(`/sys/class/net/${BRIDGE}`)).toBe(false);
    expect(existsSync(`/run/herd/net/${BRIDGE}.json`)).toBe(false);
    expect(await readdir(cache)).toEqual([]);
    expect(await readdir(storage)).toEqual([]);
  });
});

describe('resize --dry-run', () => {
  it('GCE: plans removal and addition from state, leaves the state file and the cloud untouched', async () => {
    const loaded = await loadConfig({
      configPath: join(home.dir, 'config'),
      env: {},
      playbooksDir: '/nonexistent',
    });
    const template = loaded.templates.get('gce-slurm')!;
    const repo = await StateRepository.open(storage);
    const node = (name: string, ip: string) => ({
      name,
      kind: name.replace(/\d+$/, ''),
      cloudName: `gce-slurm-0a1b2c3d-${name}`,
      instanceId: `us-central1-a/gce-slurm-0a1b2c3d-${name}`,
      state: 'ready' as const,
      publicIps: [],
      privateIps: [ip],
      preferredIp: ip,
      runId: 'r1',
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    const state: ClusterState = {
      version: STATE_VERSION,
      name: 'gce-slurm',
      id: '0a1b2c3d',
      templateName: 'gce-slurm',
      template: redactTemplate(template),
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      nodes: [
        node('frontend001', '10.87.1.2'),
        node('compute001', '10.87.1.3'),
        node('compute002', '10.87.1.4'),
      ],
      paths: repo.pathsFor('gce-slurm'),
      setupCompletedAt: '2025-01-01T00:00:00.000Z',
    };
    await repo.save(state);
    const before = await readFile(join(storage, 'gce-slurm.json'), 'utf8');
    try {
      const r = await herd([
        'resize',
        'gce-slurm',
        '-r',
        '1:compute',
        '-a',
        '2:compute',
        '--dry-run',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout);
      expect(plan.remove).toEqual([
        {
          name: 'compute002',
          kind: 'compute',
          instanceId: 'us-central1-a/gce-slurm-0a1b2c3d-compute002',
          reason: '-r/--remove',
          drain: true,
        },
      ]);
      expect(plan.create.map((k: { names: string[] }) => k.names)).toEqual([['compute002', 'compute003']]);
      expect(plan.keep).toEqual(['frontend001', 'compute001']);
      expect(gceWrites()).toEqual([]);
      expect(await readFile(join(storage, 'gce-slurm.json'), 'utf8')).toBe(before);
      expect(await readdir(storage)).toEqual(['gce-slurm.json']);
    } finally {
      await repo.remove('gce-slurm');
    }
  });
});

describe('herd check', () => {
  it('checks every cloud, Ansible and each template; a failing template makes it exit 1', async () => {
    const r = await herd(['check', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      sections: { title: string; checks: { id: string; status: string }[] }[];
    };
    expect(report.ok).toBe(false);
    expect(report.sections.map((s) => s.title)).toEqual([
      'config',
      'cloud/aws',
      'cloud/gce',
      'cloud/os',
      'cloud/local',
      'ansible',
      'template/aws-slurm',
      'template/aws-broken',
      'template/gce-slurm',
      'template/os-slurm',
      'template/os-broken',
      'template/local-slurm',
    ]);
    const section = (title: string) => report.sections.find((s) => s.title === title)!.checks;
    expect(section('cloud/aws').map((c) => `${c.status} ${c.id}`)).toEqual(['ok credentials', 'ok region']);
    expect(section('cloud/gce').map((c) => `${c.status} ${c.id}`)).toEqual([
      'ok credentials',
      'ok project',
      'ok zone',
    ]);
    expect(section('cloud/os').map((c) => `${c.status} ${c.id}`)).toEqual([
      'ok credentials',
      'ok project',
      'ok region',
    ]);
    expect(
      section('template/os-broken')
        .filter((c) => c.status === 'fail')
        .map((c) => c.id),
    ).toEqual(['image', 'flavor']);
    expect(section('cloud/local').map((c) => c.id)).toEqual([
      'host-root',
      'host-tools',
      'kernel-overlayfs',
      'kernel-shared-fs',
    ]);
    expect(section('ansible')).toEqual([expect.objectContaining({ status: 'ok', id: 'ansible' })]);
    expect(
      section('template/aws-broken')
        .filter((c) => c.status === 'fail')
        .map((c) => c.id),
    ).toEqual(['image', 'image']);
    expect(section('template/aws-slurm').some((c) => c.status === 'fail')).toBe(false);
    expect(ec2Writes()).toEqual([]);
    expect(gceWrites()).toEqual([]);
    expect(openStackWrites()).toEqual([]);
    expect(await readdir(storage)).toEqual([]);
  });

  it('checks only the clouds named; exit 0 when nothing fails; one line per check', async () => {
    const r = await herd(['check', 'gce']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('cloud/gce\n  ok    credentials: Compute Engine accepts the credentials');
    expect(r.stdout).toContain('template/gce-slurm\n  ok    config: valid; 1 frontend, 2 compute');
    expect(r.stdout).not.toContain('cloud/aws');
    expect(r.stdout).toMatch(/\d+ check\(s\): \d+ ok, 0 warning\(s\), 0 failed\.$/m);
    expect(Object.keys(proxy.counts())).toEqual([]);
  });

  it('OpenStack: refused credentials are one failed check with the fix, nothing else asked', async () => {
    await writeFile(join(home.dir, 'config-badpw'), config().replace('password=secret', 'password=wrong'));
    const r = await herd(['check', 'os', '--json'], { HERD_CONFIG: join(home.dir, 'config-badpw') });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      sections: { title: string; checks: { id: string; status: string; hint?: string }[] }[];
    };
    const cloud = report.sections.find((s) => s.title === 'cloud/os')!.checks;
    expect(cloud).toEqual([
      expect.objectContaining({
        id: 'credentials',
        status: 'fail',
        hint: expect.stringContaining('openstack token issue'),
      }),
    ]);
    expect(r.stdout).not.toContain('wrong');
    expect(openStackWrites()).toEqual([]);
  });

  it('reports refused credentials with the fix, and an unknown cloud as a usage error', async () => {
    const r = await herd(['check', 'gce'], { GOOGLE_OAUTH_ACCESS_TOKEN: undefined });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL {2}credentials: No Google Cloud credentials found.* -- fix: herd uses Application Default Credentials/,
    );
    const unknown = await herd(['check', 'azure']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No template of the configuration uses cloud "azure"');
    expect(unknown.stderr).toContain('Clouds in use: aws, gce, os, local');
  });
});
