/**
 * Every config example of the ElastiCluster 1.0 manual (seeds/002) loads as ElastiCluster users
 * expect: the cloud/login/setup/cluster examples verbatim, the playbook snippets completed with the
 * least they need. Examples that are incomplete by themselves fail with a precise problem.
 */
import { describe, expect, test } from 'vitest';
import { getTemplate } from '../../src/config/index.js';
import type { Template } from '../../src/config/types.js';
import { allProblems, ini, lineOf, loadText } from './helpers.js';

// Sections 4.2.2 to 4.2.5 of the manual, verbatim (including ElastiCluster 1.0 leftovers such as
// auto_ip_assignment, frontend_class, setup_provider and `frontend=1`).
const MANUAL = ini`
  [cloud/hobbes]
  provider=ec2_boto
  ec2_url=http://hobbes.gc3.uzh.ch:8773/services/Cloud
  ec2_access_key=****REPLACE WITH YOUR ACCESS ID****
  ec2_secret_key=****REPLACE WITH YOUR SECRET KEY****
  ec2_region=nova
  auto_ip_assignment=True

  [cloud/amazon-us-east-1]
  provider=ec2_boto
  ec2_url=https://ec2.us-east-1.amazonaws.com
  ec2_access_key=****REPLACE WITH YOUR ACCESS ID****
  ec2_secret_key=****REPLACE WITH YOUR SECRET KEY****
  ec2_region=us-east-1

  [cloud/google]
  provider=google
  gce_client_id=****REPLACE WITH YOUR CLIENT ID****
  gce_client_secret=****REPLACE WITH YOUR SECRET KEY****
  gce_project_id=****REPLACE WITH YOUR PROJECT ID****

  [login/ubuntu]
  image_user=ubuntu
  image_user_sudo=root
  image_sudo=True
  user_key_name=elasticcluster
  user_key_private=~/.ssh/id_rsa
  user_key_public=~/.ssh/id_rsa.pub

  [login/gc3-user]
  image_user=gc3-user
  image_user_sudo=root
  image_sudo=True
  user_key_name=elasticcluster
  user_key_private=~/.ssh/id_rsa
  user_key_public=~/.ssh/id_rsa.pub

  [setup/ansible-slurm]
  provider=ansible
  frontend_groups=slurm_master
  compute_groups=slurm_clients

  [setup/ansible-gridengine]
  provider=ansible
  frontend_groups=gridengine_master
  compute_groups=gridengine_clients

  [setup/ansible-pbs]
  provider=ansible
  frontend_groups=pbs_master,maui_master
  compute_groups=pbs_clients

  [setup/ansible_matlab]
  # Please note that this setup assumes you already have matlab
  # installed on the image that is being used.
  provider=ansible
  frontend_groups=mdce_master,mdce_worker,ganglia_monitor,ganglia_master
  worker_groups=mdce_worker,ganglia_monitor

  [cluster/slurm]
  cloud=hobbes
  login=gc3-user
  setup_provider=ansible-slurm
  security_group=default
  # Ubuntu image
  image_id=ami-00000048
  flavor=m1.small
  frontend_nodes=1
  compute_nodes=2
  frontend_class=frontend

  [cluster/torque]
  cloud=hobbes
  frontend_nodes=1
  compute_nodes=2
  frontend_class=frontend
  security_group=default
  # CentOS image
  image_id=ami-0000004f
  flavor=m1.small
  login=gc3-user
  setup_provider=ansible-pbs

  [cluster/aws-slurm]
  cloud=amazon-us-east-1
  login=ubuntu
  setup_provider=ansible-slurm
  security_group=default
  # ubuntu image
  image_id=ami-90a21cf9
  flavor=m1.small
  frontend=1
  compute=2

  [cluster/matlab]
  cloud=hobbes
  setup_provider=ansible_matlab
  security_group=default
  image_id=ami-00000099
  flavor=m1.medium
  frontend_nodes=1
  worker_nodes=10
  image_userdata=
  ssh_to=frontend

  [cluster/gce-slurm]
  cloud=google
  login=ubuntu
  setup=ansible-slurm
  image_id=debian-7-wheezy-v20130617
  flavor=n1-standard-1
  frontend_nodes=1
  compute_nodes=2
`;

function kinds(t: Template) {
  return t.kinds.map((k) => ({ name: k.name, count: k.count, min: k.min, groups: k.groups }));
}

describe('manual section 4.2 examples', async () => {
  const { config, main } = await loadText(MANUAL);
  const warnings = config.warnings;
  const warned = (line: number, key: string, message: RegExp) =>
    expect(warnings).toContainEqual(
      expect.objectContaining({ file: main, line, key, message: expect.stringMatching(message) }),
    );

  test('valid templates and the one incomplete example', () => {
    expect([...config.templates.keys()].sort()).toEqual(['aws-slurm', 'gce-slurm', 'slurm', 'torque']);
    expect([...config.invalid.keys()]).toEqual(['matlab']);
    expect(config.errors).toEqual([]);
  });

  test('[cluster/slurm] on hobbes: EC2, renamed groups, old keys accepted with warnings', () => {
    const t = getTemplate(config, 'slurm');
    expect(t.cloud).toMatchObject({ name: 'hobbes', provider: 'ec2_boto' });
    expect(t.cloud.settings).toMatchObject({ ec2_region: 'nova', request_floating_ip: true });
    expect(t.cloud.settings).not.toHaveProperty('auto_ip_assignment');
    expect(t.login).toMatchObject({
      imageUser: 'gc3-user',
      imageSudo: true,
      imageUserSudo: 'root',
      userKeyName: 'elasticcluster',
      userKeyPrivate: '/home/tester/.ssh/id_rsa',
      userKeyPublic: '/home/tester/.ssh/id_rsa.pub',
    });
    expect(t.setup).toMatchObject({ name: 'ansible-slurm', playbookPath: '/opt/herd/playbooks/site.yml' });
    expect(kinds(t)).toEqual([
      { name: 'frontend', count: 1, min: 1, groups: ['slurm_master'] },
      { name: 'compute', count: 2, min: 2, groups: ['slurm_worker'] },
    ]);
    expect(t.kinds[1]!.settings).toEqual({
      image_id: 'ami-00000048',
      flavor: 'm1.small',
      security_group: 'default',
    });
    expect(t.cluster).toEqual({
      sshTo: undefined,
      sshProbeTimeout: 5,
      startTimeout: 600,
      sshProxyCommand: undefined,
      sshAddress: 'auto',
    });
    warned(lineOf(MANUAL, 'auto_ip_assignment'), 'auto_ip_assignment', /rename it to "request_floating_ip"/);
    warned(
      lineOf(MANUAL, 'compute_groups=slurm_clients'),
      'compute_groups',
      /"slurm_clients" is now called "slurm_worker"/,
    );
    const slurm = lineOf(MANUAL, '[cluster/slurm]');
    warned(lineOf(MANUAL, 'setup_provider=ansible-slurm', slurm), 'setup_provider', /rename it to "setup"/);
    warned(lineOf(MANUAL, 'frontend_class', slurm), 'frontend_class', /is ignored/);
  });

  test('[cluster/torque]: keys in any order, PBS/Maui groups renamed to TORQUE as ElastiCluster does', () => {
    const t = getTemplate(config, 'torque');
    expect(kinds(t)).toEqual([
      { name: 'frontend', count: 1, min: 1, groups: ['torque_master'] },
      { name: 'compute', count: 2, min: 2, groups: ['torque_worker'] },
    ]);
    expect(t.kinds[0]!.settings.image_id).toBe('ami-0000004f');
    expect(t.login.name).toBe('gc3-user');
  });

  test('[cluster/aws-slurm]: frontend=1 / compute=2 read as <kind>_nodes with a warning', () => {
    const t = getTemplate(config, 'aws-slurm');
    expect(t.cloud.settings).toMatchObject({
      ec2_url: 'https://ec2.us-east-1.amazonaws.com',
      request_floating_ip: false,
    });
    expect(kinds(t)).toEqual([
      { name: 'frontend', count: 1, min: 1, groups: ['slurm_master'] },
      { name: 'compute', count: 2, min: 2, groups: ['slurm_worker'] },
    ]);
    warned(lineOf(MANUAL, 'frontend=1'), 'frontend', /write frontend_nodes=1/);
    warned(lineOf(MANUAL, 'compute=2'), 'compute', /write compute_nodes=2/);
  });

  test('[cluster/gce-slurm] on [cloud/google]: provider google with defaults', () => {
    const t = getTemplate(config, 'gce-slurm');
    expect(t.cloud.provider).toBe('google');
    expect(t.cloud.settings).toMatchObject({
      gce_project_id: '****REPLACE WITH YOUR PROJECT ID****',
      zone: 'us-central1-a',
    });
    expect(t.kinds.map((k) => k.settings.flavor)).toEqual(['n1-standard-1', 'n1-standard-1']);
  });

  test('[cluster/matlab] has no login: the precise error, as ElastiCluster reported', () => {
    const matlab = config.invalid.get('matlab')!;
    expect(matlab).toMatchObject({
      cloudName: 'hobbes',
      provider: 'ec2_boto',
      counts: { frontend: 1, worker: 10 },
    });
    expect(matlab.problems).toEqual([
      {
        file: main,
        line: lineOf(MANUAL, '[cluster/matlab]'),
        section: 'cluster/matlab',
        key: 'login',
        message: 'required key is missing; add login=... to [cluster/matlab]',
      },
    ]);
    expect(() => getTemplate(config, 'matlab')).toThrow(/\[cluster\/matlab\] login: required key is missing/);
  });
});

describe('section 4.2.6: [cluster/NAME/KIND] overrides', () => {
  test('the frontend gets the bigdisk flavor, compute nodes keep 8cpu32g', async () => {
    const text = ini`
      [cloud/hobbes]
      provider=ec2_boto
      ec2_region=nova
      [login/gc3-user]
      image_user=gc3-user
      [setup/ansible-slurm]
      frontend_groups=slurm_master
      compute_groups=slurm_clients

      [cluster/slurm]
      cloud=hobbes
      login=gc3-user
      setup_provider=ansible-slurm
      image_id=ami-00000048
      flavor=8cpu32g
      frontend_nodes=1
      compute_nodes=10

      [cluster/slurm/frontend]
      flavor=bigdisk
    `;
    const { config } = await loadText(text);
    const t = getTemplate(config, 'slurm');
    expect(t.kinds.map((k) => [k.name, k.count, k.settings.flavor, k.settings.image_id])).toEqual([
      ['frontend', 1, 'bigdisk', 'ami-00000048'],
      ['compute', 10, '8cpu32g', 'ami-00000048'],
    ]);
  });
});

// Section 4.4 playbook snippets, each completed with cloud, login, image and flavor.
const COMPLETION = ini`
  [cloud/hobbes]
  provider=ec2_boto
  ec2_region=nova
  [login/gc3-user]
  image_user=gc3-user
`;
const CLUSTER_COMPLETION = 'cloud=hobbes\nlogin=gc3-user\nimage_id=ami-00000048\nflavor=m1.small\n';

const SNIPPETS: {
  name: string;
  cluster: string;
  setup: string;
  expected: [kind: string, count: number, groups: string[]][];
  sshTo: string;
}[] = [
  {
    name: 'slurm',
    cluster: 'frontend_nodes=1\ncompute_nodes=5\nssh_to=frontend\nsetup_provider=ansible_slurm\n',
    setup: '[setup/ansible_slurm]\nfrontend_groups=slurm_master\ncompute_groups=slurm_clients\n',
    expected: [
      ['frontend', 1, ['slurm_master']],
      ['compute', 5, ['slurm_worker']],
    ],
    sshTo: 'frontend',
  },
  {
    name: 'slurm',
    cluster: 'frontend_nodes=1\ncompute_nodes=5\nssh_to=frontend\nsetup_provider=ansible_slurm\n',
    setup:
      '[setup/ansible_slurm]\nfrontend_groups=slurm_master,ganglia_master\ncompute_groups=slurm_clients,ganglia_monitor\n',
    expected: [
      ['frontend', 1, ['slurm_master', 'ganglia_master']],
      ['compute', 5, ['slurm_worker', 'ganglia_monitor']],
    ],
    sshTo: 'frontend',
  },
  {
    name: 'gridengine',
    cluster: 'frontend_nodes=1\ncompute_nodes=5\nssh_to=frontend\nsetup_provider=ansible_gridengine\n',
    setup:
      '[setup/ansible_gridengine]\nfrontend_groups=gridengine_master\ncompute_groups=gridengine_clients\n',
    expected: [
      ['frontend', 1, ['gridengine_master']],
      ['compute', 5, ['gridengine_worker']],
    ],
    sshTo: 'frontend',
  },
  {
    name: 'condor',
    cluster: 'setup_provider=ansible_condor\nfrontend_nodes=1\ncompute_nodes=2\nssh_to=frontend\n',
    setup: '[setup/ansible_condor]\nfrontend_groups=condor_master\ncompute_groups=condor_workers\n',
    expected: [
      ['frontend', 1, ['condor_master']],
      ['compute', 2, ['condor_worker']],
    ],
    sshTo: 'frontend',
  },
  {
    name: 'ipython',
    cluster: 'setup_provider=ansible_ipython\ncontroller_nodes=1\nworker_nodes=4\nssh_to=controller\n',
    setup:
      '[setup/ansible_ipython]\ncontroller_groups=ipython_controller,ipython_engine\nworker_groups=ipython_engine\n',
    expected: [
      ['controller', 1, ['ipython_controller', 'ipython_engine']],
      ['worker', 4, ['ipython_engine']],
    ],
    sshTo: 'controller',
  },
  {
    name: 'hadoop',
    cluster:
      'hadoop-name_nodes=1\nhadoop-jobtracker_nodes=1\nhadoop-task-data_nodes=10\nsetup_provider=ansible_hadoop\nssh_to=hadoop-name\n',
    setup:
      '[setup/ansible_hadoop]\nhadoop-name_groups=hadoop_namenode\nhadoop-jobtracker_groups=hadoop_jobtracker\nhadoop-task-data_groups=hadoop_tasktracker,hadoop_datanode\n',
    expected: [
      ['hadoop-name', 1, ['hadoop_namenode']],
      ['hadoop-jobtracker', 1, ['hadoop_jobtracker']],
      ['hadoop-task-data', 10, ['hadoop_tasktracker', 'hadoop_datanode']],
    ],
    sshTo: 'hadoop-name',
  },
];

describe('section 4.4 playbook snippets', () => {
  test.each(SNIPPETS)('[cluster/$name] with $setup', async ({ name, cluster, setup, expected, sshTo }) => {
    const { config } = await loadText(
      `${COMPLETION}\n[cluster/${name}]\n${CLUSTER_COMPLETION}${cluster}\n${setup}`,
    );
    expect(allProblems(config)).toEqual([]);
    const t = getTemplate(config, name);
    expect(t.kinds.map((k) => [k.name, k.count, k.groups])).toEqual(expected);
    expect(t.cluster.sshTo).toBe(sshTo);
  });

  test('[cluster/slurm+pvfs2] as printed: "pvfs2-nodes" is not a key (the manual misspells it), and ElastiCluster ignores it', async () => {
    const text = `${COMPLETION}\n[cluster/slurm+pvfs2]\n${CLUSTER_COMPLETION}${ini`
      frontend_nodes=1
      compute_nodes=10
      pvfs2-nodes=10
      ssh_to=frontend
      setup_provider=ansible_slurm+pvfs2

      [setup/ansible_slurm+pvfs2]
      frontend_groups=slurm_master,pvfs2_client
      compute_groups=slurm_clients,pvfs2_client
      pvfs-nodes_groups=pvfs2_meta,pvfs2_data
    `}`;
    const { config, main } = await loadText(text);
    expect(allProblems(config)).toEqual([]);
    expect(getTemplate(config, 'slurm+pvfs2').kinds.map((k) => k.name)).toEqual(['frontend', 'compute']);
    expect(config.warnings).toContainEqual(
      expect.objectContaining({
        file: main,
        line: lineOf(text, 'pvfs2-nodes=10'),
        key: 'pvfs2-nodes',
        message: expect.stringMatching(/^unknown key \(did you mean "pvfs2_nodes"\?\); herd passes it/),
      }),
    );
  });
});
