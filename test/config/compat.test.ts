/** The keys and renamed spellings of the ElastiCluster compatibility notes (shared/reference). */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { getTemplate, loadConfig } from '../../src/config/index.js';
import { RENAMED_GROUPS } from '../../src/config/schema/index.js';
import { redactTemplate } from '../../src/state/redact.js';
import { allProblems, ini, lineOf, loadText, tempDir } from './helpers.js';

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
      provider: 'azure',
      keys: 'subscription_id=sub\ntenant_id=ten\nclient_id=cli\nsecret=s\nlocation=westeurope\nvm_deployment_template=/t/vm.json\nnet_deployment_template=/t/net.json',
      clusterExtra: 'storage_account_type=Premium_LRS\nboot_disk_size=64\n',
      expected: { subscription_id: 'sub', location: 'westeurope', vm_deployment_template: '/t/vm.json' },
      canonical: 'azure',
    },
    {
      provider: 'libcloud',
      keys: 'driver_name=openstack\nauth_url=https://ks:5000\nex_tenant_name=t\nex_force_auth_version=2.0_password\nusername=u\npassword=p',
      clusterExtra: 'image_user_password=pw\n',
      expected: { driver_name: 'openstack', ex_tenant_name: 't', ex_force_auth_version: '2.0_password' },
      canonical: 'libcloud',
    },
    {
      provider: 'opennebula',
      keys: 'endpoint=http://one:2633/RPC2\nusername=oneadmin\npassword=p',
      clusterExtra: '',
      expected: { endpoint: 'http://one:2633/RPC2', username: 'oneadmin' },
      canonical: 'opennebula',
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
      // The cluster's node keys of this cloud are its kinds' settings, without a warning.
      for (const line of clusterExtra.split('\n').filter(Boolean)) {
        const [key] = line.split('=');
        expect(t.kinds[0]!.settings[key!], key).toBeDefined();
        expect(config.warnings.filter((w) => w.key === key)).toEqual([]);
      }
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

describe("ElastiCluster's renamed groups and keys", () => {
  test.each(Object.entries(RENAMED_GROUPS))(
    'group %s is read as %s, with a warning',
    async (old, renamed) => {
      const text = `[cloud/l]\nprovider=local\n${SETUP.replace('compute_groups=slurm_worker', `compute_groups=${old}`)}${cluster('l').replace('image_id=img\nflavor=f\n', '')}`;
      const { config, main } = await loadText(text);
      expect(getTemplate(config, 'c').kinds[1]!.groups).toEqual([renamed]);
      expect(config.warnings).toContainEqual(
        expect.objectContaining({
          file: main,
          line: lineOf(text, `compute_groups=${old}`),
          message: `group "${old}" is now called "${renamed}"; write ${renamed} instead`,
        }),
      );
    },
  );

  test('setup keys: safe_but_slower, ansible_module_dir; cloud key nova_api_version', async () => {
    const text = ini`
      [cloud/o]
      provider=openstack
      auth_url=https://ks/v3
      username=u
      password=p
      project_name=x
      nova_api_version=2
      [login/u]
      image_user=ubuntu
      [setup/s]
      frontend_groups=slurm_master
      compute_groups=slurm_worker
      safe_but_slower=yes
      ansible_module_dir=/opt/lib
      ${cluster('o').replaceAll('\n', '\n      ')}
    `;
    const { config } = await loadText(text);
    expect(allProblems(config)).toEqual([]);
    const t = getTemplate(config, 'c');
    expect(t.cloud.settings['compute_api_version']).toBe('2');
    expect(t.setup.ansibleSettings).toEqual({ ansible_library: '/opt/lib' });
    const renames = config.warnings.map((w) => `${w.key}: ${w.message}`);
    expect(renames).toEqual(
      expect.arrayContaining([
        'nova_api_version: is deprecated; rename it to "compute_api_version"',
        'safe_but_slower: is deprecated; rename it to "slow_but_safer"',
        'ansible_module_dir: is deprecated; rename it to "ansible_library"',
      ]),
    );
  });
});

describe('free-form keys of cluster and kind sections', () => {
  const text = ini`
    [cloud/e]
    provider=ec2_boto
    ec2_region=r
    [login/u]
    image_user=ubuntu
    [setup/s]
    frontend_groups=slurm_master
    compute_groups=slurm_worker
    [cluster/c]
    cloud=e
    login=u
    setup=s
    image_id=ami-1
    flavor=t3.small
    frontend_nodes=1
    compute_nodes=2
    allow_reboot=yes
    project_code=HPC-42
    db_password=hunter2
    subnet=10.1.0.0/24
    accelerator_count=2
    request_floating_ip=yes
    [cluster/c/compute]
    owner=team-b
    local_ssd_count=1
  `;

  test('unknown cluster keys reach Ansible as elasticluster.<key>; secrets and misplaced keys do not', async () => {
    const { config } = await loadText(text);
    expect(allProblems(config)).toEqual([]);
    const t = getTemplate(config, 'c');
    expect(t.cluster.extra).toEqual({ allow_reboot: 'yes', project_code: 'HPC-42' });
    // Keys of another cloud are not node settings here; kind-level unknown keys go nowhere.
    for (const k of t.kinds) {
      expect(Object.keys(k.settings).sort()).toEqual(['flavor', 'image_id']);
    }
    const said = Object.fromEntries(config.warnings.map((w) => [w.key, w.message]));
    expect(said).toMatchObject({
      db_password:
        'unknown key; herd ignores it (it looks like a secret, and herd never hands secrets to Ansible)',
      subnet: expect.stringMatching(/^is a cloud setting and has no effect here/),
      accelerator_count: 'is not used by provider ec2_boto (only by google); herd ignores it here',
      request_floating_ip:
        'is not used by provider ec2_boto (only by openstack); herd ignores it here; for ec2_boto set request_floating_ip in the [cloud/NAME] section',
      owner: 'unknown key; herd ignores it',
      local_ssd_count: 'is not used by provider ec2_boto (only by google); herd ignores it here',
    });
  });

  test('the state file keeps the extra keys but never one that looks secret', async () => {
    const t = getTemplate((await loadText(text)).config, 'c');
    const withSecret = { ...t, cluster: { ...t.cluster, extra: { ...t.cluster.extra, api_token: 'x' } } };
    expect(redactTemplate(withSecret).cluster.extra).toEqual({ allow_reboot: 'yes', project_code: 'HPC-42' });
  });

  test('a template without free-form keys has no extra', async () => {
    const { config } = await loadText(`[cloud/e]\nprovider=ec2_boto\nec2_region=r\n${SETUP}${cluster('e')}`);
    expect(getTemplate(config, 'c').cluster).not.toHaveProperty('extra');
  });
});

describe('groups the bundled playbooks do not provide', () => {
  const playbooks = resolve(import.meta.dirname, '..', '..', 'playbooks');
  const text = (setupExtra: string) =>
    `[cloud/l]\nprovider=local\n[login/u]\nimage_user=root\n[setup/s]\nfrontend_groups=slurm_master,ganglia_master,slurm_client\ncompute_groups=slurm_worker\n${setupExtra}[cluster/c]\ncloud=l\nlogin=u\nsetup=s\nfrontend_nodes=1\ncompute_nodes=1\n`;
  const load = async (body: string) => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config'), body);
    return loadConfig({ configPath: join(dir, 'config'), env: { HOME: dir }, playbooksDir: playbooks });
  };

  test.each([
    ['the default playbook', ''],
    ["ElastiCluster's main.yml", 'playbook_path=%(elasticluster_playbooks)s/main.yml\n'],
  ])('with %s: a warning, and the alias renamed', async (_name, setupExtra) => {
    const config = await load(text(setupExtra));
    expect(getTemplate(config, 'c').kinds[0]!.groups).toEqual([
      'slurm_master',
      'ganglia_master',
      'slurm_submit',
    ]);
    const messages = config.warnings.map((w) => w.message);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^group "ganglia_master" is not provided by herd's bundled playbooks, so it gives nodes of kind "frontend" nothing beyond the base system; the bundled playbooks provide: slurm_master, slurm_worker, slurm_submit/,
      ),
    );
    expect(messages).toContain(
      `group "slurm_client" is called "slurm_submit" in herd's bundled playbooks; write slurm_submit instead`,
    );
  });

  test("with a playbook of its own: groups are the playbook's business", async () => {
    const config = await load(text('playbook_path=/srv/site/cluster.yml\n'));
    expect(getTemplate(config, 'c').kinds[0]!.groups).toEqual([
      'slurm_master',
      'ganglia_master',
      'slurm_client',
    ]);
    expect(config.warnings).toEqual([]);
  });
});
