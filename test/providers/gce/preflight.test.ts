/**
 * The GCE preflight through the real SDK against the fake Compute API: what it reports, and that it
 * only ever GETs (the fake counts every method; no instances.* call, no operation).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGceProvider } from '../../../src/providers/gce/index.js';
import type { PreflightReport, PreflightRequest } from '../../../src/providers/types.js';
import { type FakeGce, startFakeGce } from '../../fakes/gce/index.js';
import { gceCloud, recordingLogger, withEnv } from './helpers.js';

const READS = new Set(['zones.get', 'regions.get', 'images.get', 'images.getFromFamily', 'machineTypes.get']);
let fake: FakeGce;

beforeAll(async () => {
  fake = await startFakeGce({ quotas: { CPUS: 8 } });
});
afterAll(async () => {
  await fake.stop();
});
afterEach(() => {
  expect(
    Object.keys(fake.calls).filter((m) => !READS.has(m)),
    'calls other than reads',
  ).toEqual([]);
  expect(fake.instances()).toEqual([]);
  fake.resetCalls();
});

function request(kinds: [string, number, Record<string, string>][] = []): PreflightRequest {
  return {
    cluster: { name: 'lab', id: '1a2b3c4d' },
    template: 'labtpl',
    login: { user: 'herd', publicKey: undefined, keyName: undefined },
    kinds: kinds.map(([kind, count, settings]) => ({ kind, count, settings })),
  };
}

async function preflight(
  req: PreflightRequest,
  extra: Record<string, string> = {},
  env: NodeJS.ProcessEnv = { GOOGLE_OAUTH_ACCESS_TOKEN: 'test-token' },
): Promise<PreflightReport> {
  const provider = await createGceProvider(
    gceCloud(fake.url, extra),
    { storageDir: '/nonexistent', log: recordingLogger() },
    { env },
  );
  return provider.preflight!(req);
}

const status = (report: PreflightReport) =>
  report.checks.map((c) => `${c.status} ${c.id}${c.kind ? ` ${c.kind}` : ''}`);

describe('GCE preflight', () => {
  it('checks credentials, project, zones, images, machine types and the region quota', async () => {
    const report = await preflight(
      request([
        ['frontend', 1, { image_id: 'debian-12', flavor: 'e2-small' }],
        ['compute', 2, { image_id: 'debian-cloud/debian-12-bookworm-v20240110', flavor: 'e2-standard-2' }],
      ]),
      { zone: 'us-central1-a,us-central1-b' },
    );
    expect(status(report)).toEqual([
      'ok credentials',
      'ok project',
      'ok zone',
      'ok image frontend',
      'ok flavor frontend',
      'ok image compute',
      'ok flavor compute',
      'ok quota',
      'ok quota',
    ]);
    expect(report.checks.find((c) => c.id === 'image' && c.kind === 'frontend')!.message).toBe(
      'image_id=debian-12: debian-12-bookworm-v20240110, X86_64',
    );
    expect(report.checks.find((c) => c.id === 'quota')!.message).toBe(
      'CPUS in us-central1: 0 of 8 used, 6 more requested',
    );
    expect(report.kinds.map((k) => [k.kind, k.placement])).toEqual([
      ['frontend', 'us-central1-a, then us-central1-b'],
      ['compute', 'us-central1-a, then us-central1-b'],
    ]);
    expect(fake.calls['images.getFromFamily']).toBe(1);
    expect(fake.calls['images.get']).toBe(1);
  });

  it('warns when the region has too little CPU quota left', async () => {
    const report = await preflight(
      request([['compute', 3, { image_id: 'debian-12', flavor: 'e2-standard-4' }]]),
    );
    const quota = report.checks.find((c) => c.id === 'quota')!;
    expect(quota).toMatchObject({
      status: 'warn',
      message: 'CPUS in us-central1: 0 of 8 used, 12 more requested',
    });
    expect(quota.hint).toContain('Ask for more CPUS quota in us-central1');
  });

  it('fails an unknown image and machine type, naming the key in the template', async () => {
    const report = await preflight(request([['compute', 1, { image_id: 'debian-7', flavor: 'n9-giant' }]]));
    const image = report.checks.find((c) => c.id === 'image')!;
    expect(image.status).toBe('fail');
    expect(image.message).toContain('[cluster/labtpl] image_id=debian-7 (kind compute)');
    const flavor = report.checks.find((c) => c.id === 'flavor')!;
    expect(flavor.status).toBe('fail');
    expect(flavor.message).toContain('[cluster/labtpl] flavor=n9-giant');
    expect(flavor.hint).toContain('Check flavor for kind "compute"');
  });

  it('fails an unknown zone and an unknown project', async () => {
    const zone = await preflight(request(), { zone: 'mars-north1-a' });
    expect(status(zone)).toEqual(['ok credentials', 'ok project', 'fail zone']);
    expect(zone.checks[2]!.hint).toContain('Check zone in [cloud/gce]');
    const project = await preflight(request(), { gce_project_id: 'not-my-project' });
    expect(status(project)).toEqual(['ok credentials', 'fail project']);
    expect(project.checks[1]!.message).toContain('project not-my-project');
  });

  it('without credentials says how to provide them and calls nothing', async () => {
    // Application Default Credentials read process.env: point them at nothing (and no metadata server).
    const home = await mkdtemp(join(tmpdir(), 'herd-gce-home-'));
    const restore = withEnv({
      GOOGLE_OAUTH_ACCESS_TOKEN: undefined,
      GOOGLE_APPLICATION_CREDENTIALS: undefined,
      CLOUDSDK_CONFIG: undefined,
      HOME: home,
      METADATA_SERVER_DETECTION: 'none',
    });
    try {
      const report = await preflight(
        request([['compute', 1, { image_id: 'debian-12', flavor: 'e2-small' }]]),
        {},
        process.env,
      );
      expect(status(report)).toEqual(['fail credentials']);
      expect(report.checks[0]!.hint).toContain('gcloud auth application-default login');
      expect(fake.requests).toEqual([]);
    } finally {
      restore();
      await rm(home, { recursive: true, force: true });
    }
  });
});
