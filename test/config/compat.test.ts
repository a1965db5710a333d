/** The keys and renamed spellings of the ElastiCluster compatibility notes (shared/reference). */
import { describe, expect, test } from 'vitest';
import { getTemplate } from '../../src/config/index.js';
import { allProblems, ini, lineOf, loadText } from './helpers.js';

const SETUP = ini`
  [login/u]
  image_user=ubuntu
  [setup/s]
  frontend_groups=slurm_master
  compute_groups=slurm_worker
`;

function cluster(cloud: string, extra = ''): string {
  return `[cluster/c]\ncloud=${cloud}\nlogin=u\nsetup=s\nimage_id=img\nflavor=f\nfrontend_nodes=1\ncompute_nodes=2\n${extra}`;
}

describe('cloud keys per provider', () => {
  test.each([
    {
      provider: 'ec2',
      keys: 'ec2_url=https://ec2.eu-west-1.amazonaws.com\nec2_region=eu-west-1\nec2_access_key=AK\nec2_secret_key=SK\nrequest_floating_ip=yes\nvpc=vpc-1\ninstance_profile=prof\nprice=0.05\ntimeout=300',
      clusterExtra: 'network_ids=subnet-1\n',
      expected: {
        ec2_region: 'eu-west-1',
        request_floating_ip: true,
        price: 0.05,
        timeout: 300,
        vpc: 'vpc-1',
      },
      canonical: 'ec2_boto',
    },
    {
      provider: 'gce',
      keys: 'gce_project_id=p\ngce_client_id=id\ngce_client_secret=s\nnetwork=net\nzone=europe-west1-b\nnoauth_local_webserver=On',
      clusterExtra: '',
      expected: { gce_project_id: 'p', network: 'net', zone: 'europe-west1-b', noauth_local_webserver: true },
      canonical: 'google',
    },
    {
      provider: 'openstack',
      keys: 'auth_url=https://keystone:5000/v3\nusername=u\npassword=p\nproject_name=proj\nuser_domain_name=d\nproject_domain_name=pd\nregion_name=r\navailability_zone=az\ncompute_api_version=2\nimage_api_version=2\nnetwork_api_version=2.0\nvolume_api_version=3\nidentity_api_version=3\nrequest_floating_ip=FALSE\ncacert=/etc/ssl/cloud.pem\nuse_anti_affinity_groups=yes\nbuild_timeout=30\nfloating_network_id=public',
      clusterExtra:
        'network_ids=n1,n2\nboot_disk_size=20\nboot_disk_type=ssd\navailability_zone=az1,az2\nrequest_floating_ip=yes\nfloating_network_id=ext\nsecurity_group=default,ssh\n',
      expected: {
        project_name: 'proj',
        request_floating_ip: false,
        identity_api_version: '3',
        use_anti_affinity_groups: true,
        build_timeout: 30,
      },
      canonical: 'openstack',
    },
    {
      provider: 'local',
      keys: 'subnet=10.99.0.0/24\nbridge=hb1\nnat=off',
      clusterExtra: '',
      expected: { subnet: '10.99.0.0/24', bridge: 'hb1', nat: false },
      canonical: 'local',
    },
  ])(
    'provider=$provider accepts every documented key',
    async ({ provider, keys, clusterExtra, expected, canonical }) => {
      const image = provider === 'local' ? 'debian-12-hpc' : 'img';
      const text = `[cloud/x]\nprovider=${provider}\n${keys}\n${SETUP}${cluster('x', clusterExtra).replace('img', image)}`;
      const { config } = await loadText(text);
      expect(allProblems(config)).toEqual([]);
      const t = getTemplate(config, 'c');
      expect(t.cloud.provider).toBe(canonical);
      expect(t.cloud.settings).toMatchObject(expected);
    },
  );

  test('local defaults: subnet 10.77.0.0/24, bridge herdbr0, nat on, image debian-12', async () => {
    const text = `[cloud/x]\nprovider=local\n${SETUP}[cluster/c]\ncloud=x\nlogin=u\nsetup=s\nfrontend_nodes=1\ncompute_nodes=0\nflavor=big\nsecurity_group=default\n`;
    const t = getTemplate((await loadText(text)).config, 'c');
    expect(t.cloud.settings).toEqual({ subnet: '10.77.0.0/24', bridge: 'herdbr0', nat: true });
    expect(t.kinds.map((k) => [k.name, k.count, k.settings.image_id])).toEqual([
      ['frontend', 1, 'debian-12'],
      ['compute', 0, 'debian-12'],
    ]);
  });

  test('credentials fall back to the environment (EC2_*, OS_*)', async () => {
    const env = {
      EC2_ACCESS_KEY: 'AKENV',
      AWS_SECRET_ACCESS_KEY: 'SKENV',
      OS_AUTH_URL: 'https://ks/v3',
      OS_USERNAME: 'ou',
      OS_PASSWORD: 'op',
      OS_TENANT_NAME: 'ot',
    };
    const text = `[cloud/e]\nprovider=ec2_boto\nec2_region=r\n[cloud/o]\nprovider=openstack\n${SETUP}${cluster('e')}[cluster/o]\ncloud=o\nlogin=u\nsetup=s\nimage_id=i\nflavor=f\nfrontend_nodes=1\ncompute_nodes=1\n`;
    const { config } = await loadText(text, { env });
    expect(getTemplate(config, 'c').cloud.settings).toMatchObject({
      ec2_access_key: 'AKENV',
      ec2_secret_key: 'SKENV',
    });
    expect(getTemplate(config, 'o').cloud.settings).toMatchObject({
      auth_url: 'https://ks/v3',
      username: 'ou',
      password: 'op',
      project_name: 'ot',
    });
  });
});

describe('node keys per provider', () => {
  test('EC2 and GCE node keys are coerced; [cluster/N/KIND] overrides per kind', async () => {
    const text = ini`
      [cloud/e]
      provider=ec2_boto
      ec2_region=r
      [cloud/g]
      provider=google
      gce_project_id=p
      ${SETUP.replaceAll('\n', '\n      ')}
      [cluster/e]
      cloud=e
      login=u
      setup=s
      image_id=ami-1
      flavor=c5.large
      security_group=sg
      image_userdata=#!/bin/sh
      boot_disk_device=/dev/sda1
      boot_disk_size=50
      boot_disk_type=gp3
      boot_disk_iops=3000
      placement_group=pg
      price=0.1
      timeout=60
      instance_profile=ip
      frontend_nodes=1
      compute_nodes=2
      [cluster/e/compute]
      flavor=c5.4xlarge
      boot_disk_size=200
      [cluster/g]
      cloud=g
      login=u
      setup=s
      image_id=debian-12
      flavor=n2-standard-2
      boot_disk_type=pd-ssd
      boot_disk_size=100
      tags=hpc,slurm
      scheduling=preemptible
      accelerator_count=1
      accelerator_type=nvidia-tesla-t4
      local_ssd_count=2
      min_cpu_platform=Intel Cascade Lake
      allow_project_ssh_keys=No
      frontend_nodes=1
      compute_nodes=2
    `;
    const { config } = await loadText(text);
    expect(allProblems(config)).toEqual([]);
    const e = getTemplate(config, 'e');
    expect(e.kinds[0]!.settings).toMatchObject({
      flavor: 'c5.large',
      boot_disk_size: 50,
      price: 0.1,
      image_userdata: '#!/bin/sh',
    });
    expect(e.kinds[1]!.settings).toMatchObject({
      flavor: 'c5.4xlarge',
      boot_disk_size: 200,
      boot_disk_iops: 3000,
      image_id: 'ami-1',
    });
    const g = getTemplate(config, 'g');
    expect(g.kinds[1]!.settings).toMatchObject({
      scheduling: 'preemptible',
      accelerator_count: 1,
      local_ssd_count: 2,
      allow_project_ssh_keys: false,
      min_cpu_platform: 'Intel Cascade Lake',
    });
  });
});

describe('renamed keys and groups', () => {
  const text = ini`
    [cloud/o]
    provider=openstack
    auth_url=https://ks/v3
    username=u
    password=p
    tenant_name=old-tenant
    [login/u]
    image_user=ubuntu
    [setup/s]
    ssh_pipelining=no
    frontend_groups=slurm_master,gluster_data
    compute_groups=slurm_workers,gridengine_clients
    [cluster/c]
    cloud=o
    login=u
    setup_provider=s
    image_id=i
    flavor=f
    frontend_nodes=1
    compute_nodes=4
    compute_min_nodes=2
  `;

  test.each([
    ['tenant_name', 'tenant_name=', /rename it to "project_name"/],
    ['ssh_pipelining', 'ssh_pipelining', /rename it to "ansible_ssh_pipelining"/],
    ['setup_provider', 'setup_provider', /rename it to "setup"/],
    ['compute_min_nodes', 'compute_min_nodes', /rename it to "compute_nodes_min"/],
    ['frontend_groups', 'frontend_groups', /group "gluster_data" is now called "glusterfs_server"/],
    ['compute_groups', 'compute_groups', /group "slurm_workers" is now called "slurm_worker"/],
    ['compute_groups', 'compute_groups', /group "gridengine_clients" is now called "gridengine_worker"/],
  ])('%s warns at its line: %s', async (key, needle, message) => {
    const { config, main } = await loadText(text);
    expect(config.warnings).toContainEqual(
      expect.objectContaining({
        file: main,
        line: lineOf(text, needle),
        key,
        message: expect.stringMatching(message),
      }),
    );
  });

  test('the renamed values are used', async () => {
    const t = getTemplate((await loadText(text)).config, 'c');
    expect(t.cloud.settings['project_name']).toBe('old-tenant');
    expect(t.setup.ansibleSettings).toEqual({ ansible_ssh_pipelining: 'no' });
    expect(t.setup.name).toBe('s');
    expect(t.kinds.map((k) => [k.name, k.count, k.min, k.groups])).toEqual([
      ['frontend', 1, 1, ['slurm_master', 'glusterfs_server']],
      ['compute', 4, 2, ['slurm_worker', 'gridengine_worker']],
    ]);
  });

  test('an old name next to its new name: the new one wins, the old one is reported', async () => {
    const { config, main } = await loadText(`${text}setup=s\nsetup_provider=other\n`);
    expect(getTemplate(config, 'c').setup.name).toBe('s');
    expect(config.warnings).toContainEqual(
      expect.objectContaining({
        file: main,
        key: 'setup_provider',
        message: expect.stringMatching(/which is also set; remove setup_provider/),
      }),
    );
  });
});

describe('setup and cluster variables, ansible settings, paths', () => {
  test('<kind>_var_* and global_var_* merge setup < cluster, kind over global', async () => {
    const text = ini`
      [cloud/l]
      provider=local
      [login/u]
      image_user=root
      user_key_private=~/.ssh/herd
      user_key_public=keys/herd.pub
      [setup/s]
      playbook_path=%(herd_playbooks)s/custom.yml
      ansible_command=/usr/local/bin/ansible-playbook
      ansible_extra_args=-e "a=b c" --tags 'x y' --diff
      ansible_forks=20
      global_var_site=setup
      global_var_tz=UTC
      frontend_groups=slurm_master
      compute_groups=slurm_worker
      compute_var_mem=setup
      compute_var_cores=4
      [cluster/c]
      cloud=l
      login=u
      setup=s
      frontend_nodes=1
      compute_nodes=2
      global_var_site=cluster
      compute_var_mem=cluster
      frontend_var_tz=Europe/Zurich
      ssh_proxy_command=ssh -W %%h:%%p bastion
      ssh_probe_timeout=10
      start_timeout=120
    `;
    const { config, dir } = await loadText(text);
    expect(allProblems(config)).toEqual([]);
    const t = getTemplate(config, 'c');
    expect(t.setup).toMatchObject({
      playbookPath: '/opt/herd/playbooks/custom.yml',
      ansibleCommand: '/usr/local/bin/ansible-playbook',
      ansibleExtraArgs: ['-e', 'a=b c', '--tags', 'x y', '--diff'],
      ansibleSettings: { ansible_forks: '20' },
      globalVars: { site: 'cluster', tz: 'UTC' },
    });
    expect(t.kinds[0]!.vars).toEqual({ site: 'cluster', tz: 'Europe/Zurich' });
    expect(t.kinds[1]!.vars).toEqual({ site: 'cluster', tz: 'UTC', mem: 'cluster', cores: '4' });
    expect(t.cluster).toEqual({
      sshTo: undefined,
      sshProbeTimeout: 10,
      startTimeout: 120,
      sshProxyCommand: 'ssh -W %h:%p bastion',
      sshAddress: 'auto',
    });
    expect(t.login).toMatchObject({
      userKeyPrivate: '/home/tester/.ssh/herd',
      userKeyPublic: `${dir}/keys/herd.pub`,
      imageSudo: true,
    });
  });
});
