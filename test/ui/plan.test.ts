import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../src/cluster/check.js';
import type { ClusterPlan } from '../../src/cluster/plan.js';
import { renderCheckReport } from '../../src/ui/check.js';
import { renderChecks, renderPlan } from '../../src/ui/plan.js';

const plan: ClusterPlan = {
  action: 'resize',
  cluster: 'lab',
  template: 'slurm',
  cloud: { name: 'aws', provider: 'ec2_boto' },
  existing: true,
  create: [
    {
      kind: 'compute',
      count: 2,
      names: ['compute002', 'compute003'],
      image: 'ami-1 (ubuntu)',
      flavor: 't3.small',
      placement: 'subnet-a (us-east-1a), then subnet-b',
      securityGroups: ['sg-9'],
    },
  ],
  remove: [{ name: 'compute002', kind: 'compute', instanceId: 'i-2', reason: '-r/--remove', drain: true }],
  adopt: [],
  keep: ['frontend001', 'compute001'],
  resources: [{ type: 'key-pair', name: 'herd-lab', action: 'use' }],
  setup: { run: true, playbook: '/p/site.yml', nodes: 4 },
  checks: [
    { id: 'credentials', status: 'ok', message: 'EC2 accepts the credentials' },
    {
      id: 'flavor',
      status: 'fail',
      kind: 'compute',
      message: 'flavor=t9: no such type',
      hint: 'Set flavor.',
    },
  ],
  validated: true,
  ok: false,
};

describe('renderPlan', () => {
  it('shows what is created, removed, kept and configured, and every check with its fix', () => {
    expect(renderPlan(plan)).toEqual([
      'Dry run: resize cluster "lab" (template slurm, cloud aws, ec2_boto). Nothing was created or changed.',
      '',
      'Create 2 node(s):',
      '  kind     n  nodes             image           flavor    zone/subnet                           security groups',
      '  compute  2  compute[002-003]  ami-1 (ubuntu)  t3.small  subnet-a (us-east-1a), then subnet-b  sg-9',
      '',
      'Remove 1 node(s):',
      '  compute002 (i-2): -r/--remove; drained in Slurm first',
      '',
      'Keep: frontend001,compute001',
      '',
      'Resources:',
      '  action  type      name      detail',
      '  use     key-pair  herd-lab',
      '',
      'Configure: ansible-playbook /p/site.yml on 4 node(s)',
      '',
      'Checked with read-only calls:',
      '  ok    credentials: EC2 accepts the credentials',
      '  FAIL  flavor (compute): flavor=t9: no such type -- fix: Set flavor.',
      '',
      '1 check(s) failed: the resize would fail. Fix them first.',
    ]);
  });

  it('says when there is nothing to create and the run can go ahead', () => {
    const lines = renderPlan({
      ...plan,
      create: [],
      remove: [],
      checks: [],
      ok: true,
      setup: { ...plan.setup, run: false },
    });
    expect(lines).toContain('Create: nothing');
    expect(lines).toContain('Configure: no (--no-setup, or nothing changed)');
    expect(lines.at(-1)).toBe('Nothing stands in the way: run the same command without --dry-run.');
  });
});

describe('renderChecks and renderCheckReport', () => {
  it('one line per check, the fix only for warnings and failures, multi-line messages folded', () => {
    expect(
      renderChecks([
        { id: 'a', status: 'ok', message: 'fine', hint: 'never shown' },
        { id: 'b', status: 'warn', message: 'two\n  lines', hint: 'do x' },
      ]),
    ).toEqual(['  ok    a: fine', '  WARN  b: two lines -- fix: do x']);
  });

  it('groups checks under their subject and counts them', () => {
    const report: CheckReport = {
      ok: false,
      sections: [
        {
          title: 'cloud/aws',
          checks: [{ id: 'credentials', status: 'fail', message: 'refused', hint: 'fix keys' }],
        },
        { title: 'empty', checks: [] },
        {
          title: 'ansible',
          checks: [{ id: 'ansible', status: 'ok', message: 'ansible-playbook [core 2.14.18]' }],
        },
      ],
    };
    expect(renderCheckReport(report)).toEqual([
      'cloud/aws',
      '  FAIL  credentials: refused -- fix: fix keys',
      '',
      'ansible',
      '  ok    ansible: ansible-playbook [core 2.14.18]',
      '',
      '2 check(s): 1 ok, 0 warning(s), 1 failed.',
    ]);
  });
});
