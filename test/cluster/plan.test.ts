/**
 * Dry-run plans from state and template, with a provider stand-in that records what it is asked:
 * names of new nodes, nodes removed or replaced, drains, setup, what the preflight said; and that
 * planning writes nothing in the storage directory.
 */
import { readdir, readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planResize, planStart } from '../../src/cluster/plan.js';
import { UsageError } from '../../src/errors.js';
import type { PreflightRequest, Provider } from '../../src/providers/types.js';
import { StateRepository } from '../../src/state/index.js';
import type { ClusterState } from '../../src/state/types.js';
import { silentLogger } from '../../src/ui/log.js';
import { makeTempDir } from '../helpers/cli.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';

let dir: { dir: string; cleanup: () => Promise<void> };
let repo: StateRepository;
let asked: PreflightRequest[];
let withPreflight: boolean;
let strays: { instanceId: string; name: string | undefined }[];

const provider = (): Provider =>
  ({
    name: 'local',
    findNodes: async () => strays.map((s) => ({ ...s, state: 'running', publicIps: [], privateIps: [] })),
    ...(withPreflight
      ? {
          preflight: async (request: PreflightRequest) => {
            asked.push(request);
            return {
              checks: [{ id: 'image', status: 'ok', message: 'fine', kind: request.kinds[0]?.kind }],
              kinds: request.kinds.map((k) => ({
                kind: k.kind,
                image: `img-${k.kind}`,
                placement: 'zone-a',
                securityGroups: ['sg-1'],
              })),
              resources: [{ type: 'security-group', name: 'herd-x', action: 'create' }],
            };
          },
        }
      : {}),
  }) as unknown as Provider;

beforeEach(async () => {
  dir = await makeTempDir('herd-plan-');
  repo = await StateRepository.open(dir.dir);
  asked = [];
  withPreflight = true;
  strays = [];
});
afterEach(async () => {
  await dir.cleanup();
});

const deps = () => ({ repo, createProvider: async () => provider(), log: silentLogger });
const tpl = (compute = 2) =>
  template({
    kinds: [
      { ...kind('frontend', ['slurm_master']), settings: { image_id: 'img', flavor: 'big' } },
      { ...kind('compute', ['slurm_worker']), count: compute, min: compute, settings: { image_id: 'img' } },
    ],
  });

async function saved(nodes: ClusterState['nodes'], setupDone = true): Promise<string> {
  const state = clusterState(nodes, tpl());
  state.name = 'lab';
  state.paths = repo.pathsFor('lab');
  if (setupDone) state.setupCompletedAt = '2025-01-01T00:00:00.000Z';
  await repo.save(state);
  return readFile(`${dir.dir}/lab.json`, 'utf8');
}

describe('planStart', () => {
  it('a new cluster: every node, a key to generate, setup, and what the preflight found; nothing written', async () => {
    const plan = await planStart({
      deps: deps(),
      template: tpl(),
      name: 'lab',
      nodeCounts: [{ kind: 'compute', count: 3 }],
      setup: true,
    });
    expect(plan.create.map((k) => [k.kind, k.names, k.image, k.placement, k.securityGroups])).toEqual([
      ['frontend', ['frontend001'], 'img-frontend', 'zone-a', ['sg-1']],
      ['compute', ['compute001', 'compute002', 'compute003'], 'img-compute', 'zone-a', ['sg-1']],
    ]);
    expect(plan.resources).toEqual([
      { type: 'ssh-key', name: `${dir.dir}/lab.key`, action: 'create', detail: 'ed25519, for this cluster' },
      { type: 'security-group', name: 'herd-x', action: 'create' },
    ]);
    expect(plan).toMatchObject({
      action: 'start',
      existing: false,
      validated: true,
      ok: true,
      remove: [],
      adopt: [],
    });
    expect(plan.setup).toEqual({ run: true, playbook: '/opt/herd/playbooks/site.yml', nodes: 4 });
    expect(asked).toEqual([
      expect.objectContaining({
        // A new cluster is planned with a fresh id, as start gives it one.
        cluster: { name: 'lab', id: expect.stringMatching(/^[0-9a-f]{8}$/) },
        template: 'slurm',
        login: { user: 'debian', publicKey: undefined, keyName: undefined },
        kinds: [
          { kind: 'frontend', count: 1, settings: { image_id: 'img', flavor: 'big' } },
          { kind: 'compute', count: 3, settings: { image_id: 'img' } },
        ],
      }),
    ]);
    expect(await readdir(dir.dir)).toEqual([]);
  });

  it('resuming: only the missing nodes, failed ones replaced, strays to adopt', async () => {
    await saved([
      node('frontend001', '10.0.0.2'),
      node('compute001', undefined, { instanceId: 'i-1' }),
      node('compute002', '10.0.0.3', { instanceId: 'i-2' }),
    ]);
    strays = [
      { instanceId: 'i-9', name: 'compute009' },
      { instanceId: 'i-2', name: 'compute002' },
    ];
    // The stored template's counts win over the config's (as start does), --nodes over both.
    const plan = await planStart({
      deps: deps(),
      template: tpl(5),
      name: 'lab',
      nodeCounts: [{ kind: 'compute', count: 3 }],
      setup: true,
    });
    expect(plan.existing).toBe(true);
    expect(plan.create.map((k) => [k.kind, k.names])).toEqual([['compute', ['compute001', 'compute003']]]);
    expect(plan.remove).toEqual([
      {
        name: 'compute001',
        kind: 'compute',
        instanceId: 'i-1',
        reason: 'failed earlier; replaced',
        drain: false,
      },
    ]);
    expect(plan.keep).toEqual(['frontend001', 'compute002']);
    expect(plan.adopt).toEqual(['compute009']);
    expect(plan.setup.run).toBe(true);
  });

  it('a complete, configured cluster: nothing to create, no setup, no preflight of kinds', async () => {
    await saved([
      node('frontend001', '10.0.0.2'),
      node('compute001', '10.0.0.3'),
      node('compute002', '10.0.0.4'),
    ]);
    const plan = await planStart({ deps: deps(), template: tpl(), name: 'lab', nodeCounts: [], setup: true });
    expect(plan.create).toEqual([]);
    expect(plan.setup.run).toBe(false);
    expect(asked[0]!.kinds).toEqual([]);
  });

  it('refuses a name taken by a cluster of another template', async () => {
    await saved([]);
    const error = await planStart({
      deps: deps(),
      template: { ...tpl(), name: 'other' },
      name: 'lab',
      nodeCounts: [],
      setup: true,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('started from template "slurm", not "other"');
  });

  it('says so when the provider cannot check a plan', async () => {
    withPreflight = false;
    const plan = await planStart({
      deps: deps(),
      template: tpl(),
      name: 'lab',
      nodeCounts: [],
      setup: false,
    });
    expect(plan.validated).toBe(false);
    expect(plan.checks).toEqual([expect.objectContaining({ id: 'preflight', status: 'warn' })]);
    expect(plan.setup.run).toBe(false);
    expect(plan.create.map((k) => k.image)).toEqual(['img', 'img']);
  });
});

describe('planResize', () => {
  it('removes the highest-numbered nodes (drained once set up), then names the new ones; state untouched', async () => {
    const before = await saved([
      node('frontend001', '10.0.0.2'),
      node('compute001', '10.0.0.3'),
      node('compute002', '10.0.0.4', { instanceId: 'i-2' }),
    ]);
    const plan = await planResize({
      deps: deps(),
      name: 'lab',
      cloud: tpl().cloud,
      add: [{ kind: 'compute', count: 2 }],
      remove: [{ kind: 'compute', count: 1 }],
      setup: true,
    });
    expect(plan.remove).toEqual([
      { name: 'compute002', kind: 'compute', instanceId: 'i-2', reason: '-r/--remove', drain: true },
    ]);
    expect(plan.create.map((k) => k.names)).toEqual([['compute002', 'compute003']]);
    expect(plan.keep).toEqual(['frontend001', 'compute001']);
    expect(plan.setup).toMatchObject({ run: true, nodes: 4 });
    expect(asked[0]!.kinds).toEqual([{ kind: 'compute', count: 2, settings: { image_id: 'img' } }]);
    expect(await readFile(`${dir.dir}/lab.json`, 'utf8')).toBe(before);
    expect((await readdir(dir.dir)).sort()).toEqual(['lab.json']);
  });

  it('does not drain before the first setup, and refuses unknown kinds and too many removals', async () => {
    await saved([node('frontend001', '10.0.0.2'), node('compute001', '10.0.0.3')], false);
    const plan = await planResize({
      deps: deps(),
      name: 'lab',
      cloud: tpl().cloud,
      add: [],
      remove: [{ kind: 'compute', count: 1 }],
      setup: true,
    });
    expect(plan.remove[0]!.drain).toBe(false);
    const unknown = await planResize({
      deps: deps(),
      name: 'lab',
      cloud: tpl().cloud,
      add: [{ kind: 'gpu', count: 1 }],
      remove: [],
      setup: true,
    }).catch((e) => e);
    expect(unknown.message).toContain('has no node kind "gpu"');
    const tooMany = await planResize({
      deps: deps(),
      name: 'lab',
      cloud: tpl().cloud,
      add: [],
      remove: [{ kind: 'compute', count: 3 }],
      setup: true,
    }).catch((e) => e);
    expect(tooMany.message).toContain('has only 1 compute node(s)');
  });
});
