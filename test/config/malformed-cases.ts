/** Malformed configurations shared by the pipeline-level and the CLI-level tests. */
import { ini } from './helpers.js';

export const BASE = ini`
  [cloud/local]
  provider=local
  [login/local]
  image_user=root
  image_sudo=no
  [setup/slurm]
  frontend_groups=slurm_master
  compute_groups=slurm_worker
  [cluster/slurm]
  cloud=local
  login=local
  setup=slurm
  frontend_nodes=1
  compute_nodes=2
  ssh_to=frontend
`;

export const EC2 = ini`
  [cloud/aws]
  provider=ec2
  ec2_region=us-east-1
  [login/ubuntu]
  image_user=ubuntu
  [setup/slurm]
  frontend_groups=slurm_master
  compute_groups=slurm_worker
  [cluster/aws]
  cloud=aws
  login=ubuntu
  setup=slurm
  image_id=ami-1234
  flavor=t3.small
  frontend_nodes=1
  compute_nodes=2
`;

export interface Case {
  name: string;
  /** Lines appended to BASE (after its last line, i.e. inside [cluster/slurm] unless a header follows). */
  append?: string;
  /** A whole config instead of BASE + append. */
  text?: string;
  /** A drop-in file `config.d/20-extra.conf` with this content; `at` then refers to it. */
  dropIn?: string;
  /** Text on the line the problem must point at (first occurrence after BASE for appended cases). */
  at: string;
  key: string | undefined;
  message: RegExp;
}

export const CASES: Case[] = [
  // Syntax
  {
    name: 'line without =',
    append: 'frontend_nodes 1',
    at: 'frontend_nodes 1',
    key: undefined,
    message: /is not key=value; add "="/,
  },
  {
    name: 'no key before =',
    append: '=2',
    at: '=2',
    key: undefined,
    message: /has no key before "="; write key=value/,
  },
  {
    name: 'no key before :',
    append: ' : x'.trim(),
    at: ': x',
    key: undefined,
    message: /has no key before ":"/,
  },
  {
    name: 'unclosed section header',
    append: '[cluster/x',
    at: '[cluster/x',
    key: undefined,
    message: /malformed section header "\[cluster\/x"; write it as \[type\/name\]/,
  },
  {
    name: 'key before any section',
    text: `flavor=x\n${BASE}`,
    at: 'flavor=x',
    key: 'flavor',
    message: /outside any section; put it under a section header/,
  },
  {
    name: 'indented first line',
    text: `  image_id=x\n${BASE}`,
    at: 'image_id=x',
    key: undefined,
    message: /continues no value; remove the leading spaces/,
  },
  {
    name: 'unknown section type',
    append: '[clustr/x]\nfoo=1',
    at: '[clustr/x]',
    key: undefined,
    message: /unknown section type "clustr" \(did you mean "cluster"\?\)/,
  },
  {
    name: 'section without name',
    append: '[cloud]\nprovider=local',
    at: '[cloud]',
    key: undefined,
    message: /must be \[cloud\/NAME\] with a non-empty NAME/,
  },
  {
    name: 'section with empty name',
    append: '[login/]\nimage_user=x',
    at: '[login/]',
    key: undefined,
    message: /must be \[login\/NAME\]/,
  },
  {
    name: 'too many slashes',
    append: '[cluster/a/b/c]\nflavor=x',
    at: '[cluster/a/b/c]',
    key: undefined,
    message: /must be \[cluster\/NAME\] or \[cluster\/NAME\/KIND\]/,
  },
  // Interpolation
  {
    name: 'lone %',
    append: 'global_var_pct=50%',
    at: 'global_var_pct',
    key: 'global_var_pct',
    message: /bad "%" at "%": write %\(name\)s .* or %% for a literal "%"/,
  },
  {
    name: 'unknown %(name)s',
    append: 'global_var_x=%(flavr)s',
    at: 'global_var_x',
    key: 'global_var_x',
    message: /%\(flavr\)s names no key of \[cluster\/slurm\]/,
  },
  {
    name: '%(name)s suggestion',
    append: 'global_var_y=%(ssh_too)s',
    at: 'global_var_y',
    key: 'global_var_y',
    message: /did you mean "ssh_to"\?/,
  },
  {
    name: 'interpolation cycle',
    append: 'global_var_a=%(global_var_b)s\nglobal_var_b=%(global_var_a)s',
    at: 'global_var_a=',
    key: 'global_var_a',
    message: /refers to itself \(global_var_a -> global_var_b -> global_var_a\)/,
  },
  // Cloud
  {
    name: 'unsupported provider vmware',
    append: '[cloud/local]\nprovider=vmware',
    at: 'provider=vmware',
    key: 'provider',
    message:
      /provider "vmware" is not supported; use one of: local, ec2_boto \(alias ec2\), google \(alias gce\), openstack, azure, libcloud, opennebula/,
  },
  {
    name: 'misspelt provider',
    append: '[cloud/local]\nprovider=loacl',
    at: 'provider=loacl',
    key: 'provider',
    message: /\(did you mean "local"\?\)/,
  },
  {
    name: 'missing provider',
    text: BASE.replace('provider=local\n', ''),
    at: '[cloud/local]',
    key: 'provider',
    message: /required key is missing; add provider=NAME/,
  },
  {
    name: 'subnet without prefix',
    append: '[cloud/local]\nsubnet=10.77.0.0',
    at: 'subnet=',
    key: 'subnet',
    message:
      /"10.77.0.0" is not valid; write a private IPv4 network .* with a prefix from \/8 to \/30 .*, e.g. 10.77.0.0\/24/,
  },
  {
    name: 'subnet octet > 255',
    append: '[cloud/local]\nsubnet=10.300.0.0/24',
    at: 'subnet=',
    key: 'subnet',
    message: /"10.300.0.0\/24" is not valid/,
  },
  {
    name: 'subnet prefix /32',
    append: '[cloud/local]\nsubnet=10.77.0.0/31',
    at: 'subnet=',
    key: 'subnet',
    message: /is not valid/,
  },
  {
    name: 'bridge name too long',
    append: '[cloud/local]\nbridge=herd-bridge-number0',
    at: 'bridge=',
    key: 'bridge',
    message: /is 19 characters long; use at most 15/,
  },
  {
    name: 'bridge name with slash',
    append: '[cloud/local]\nbridge=br/0',
    at: 'bridge=',
    key: 'bridge',
    message: /"br\/0" is not valid; start with a letter, then letters, digits/,
  },
  {
    name: 'bridge name starting with a digit',
    append: '[cloud/local]\nbridge=0br',
    at: 'bridge=',
    key: 'bridge',
    message: /"0br" is not valid; start with a letter/,
  },
  {
    name: 'nat not a boolean',
    append: '[cloud/local]\nnat=maybe',
    at: 'nat=',
    key: 'nat',
    message: /"maybe" is not a boolean; write yes or no/,
  },
  {
    name: 'unknown cloud key',
    append: '[cloud/local]\nsubnett=10.1.0.0/24',
    at: 'subnett=',
    key: 'subnett',
    message: /unknown key \(did you mean "subnet"\?\); fix the spelling or remove it/,
  },
  {
    name: 'ec2 key on local cloud',
    append: '[cloud/local]\nec2_region=us-east-1',
    at: 'ec2_region',
    key: 'ec2_region',
    message: /is not supported by provider local \(only by ec2_boto\)/,
  },
  {
    name: 'ec2 without region',
    text: EC2.replace('ec2_region=us-east-1\n', ''),
    at: '[cloud/aws]',
    key: 'ec2_region',
    message: /required key is missing; add ec2_region=... to \[cloud\/aws\]/,
  },
  {
    name: 'ec2_url not a URL',
    text: `${EC2}[cloud/aws]\nec2_url=ec2.example`,
    at: 'ec2_url',
    key: 'ec2_url',
    message: /"ec2.example" is not valid; write a URL/,
  },
  {
    name: 'ec2 request_floating_ip not a boolean',
    text: `${EC2}[cloud/aws]\nrequest_floating_ip=perhaps`,
    at: 'request_floating_ip',
    key: 'request_floating_ip',
    message: /not a boolean/,
  },
  {
    name: 'ec2 price not a number',
    text: `${EC2}[cloud/aws]\nprice=cheap`,
    at: 'price=',
    key: 'price',
    message: /"cheap" is not a number/,
  },
  {
    name: 'google without project',
    text: EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=gce'),
    at: '[cloud/aws]',
    key: 'gce_project_id',
    message: /required key is missing; add gce_project_id=/,
  },
  {
    name: 'openstack with a compute_api_version herd cannot use',
    text: EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=openstack\ncompute_api_version=3'),
    at: 'compute_api_version=3',
    key: 'compute_api_version',
    message: /"3" is not valid; write 2, or a microversion such as 2\.67/,
  },
  // Login
  {
    name: 'missing image_user',
    text: BASE.replace('image_user=root\n', ''),
    at: '[login/local]',
    key: 'image_user',
    message: /required key is missing; add image_user=\.\.\. to \[login\/local\]/,
  },
  {
    name: 'empty image_user',
    append: '[login/local]\nimage_user=',
    at: 'image_user=',
    key: 'image_user',
    message: /is empty; give it a value or remove the line/,
  },
  {
    name: 'image_sudo not a boolean',
    append: '[login/local]\nimage_sudo=sometimes',
    at: 'image_sudo=sometimes',
    key: 'image_sudo',
    message: /not a boolean/,
  },
  {
    name: 'unknown login key',
    append: '[login/local]\nimage_usr=root',
    at: 'image_usr',
    key: 'image_usr',
    message: /did you mean "image_user"/,
  },
  {
    name: 'node key in login',
    append: '[login/local]\nflavor=small',
    at: 'flavor=small',
    key: 'flavor',
    message: /is a node setting; move it to the \[cluster\/NAME\] section/,
  },
  // Setup
  {
    name: 'setup provider not ansible',
    append: '[setup/slurm]\nprovider=puppet',
    at: 'provider=puppet',
    key: 'provider',
    message: /"puppet" is not supported; use one of: ansible/,
  },
  {
    name: 'empty groups',
    append: '[setup/slurm]\ncompute_groups= , ',
    at: 'compute_groups= ,',
    key: 'compute_groups',
    message: /lists no Ansible group; write e.g. compute_groups=/,
  },
  {
    name: 'bad group name',
    append: '[setup/slurm]\ncompute_groups=slurm worker',
    at: 'compute_groups=slurm worker',
    key: 'compute_groups',
    message: /"slurm worker" is not a valid Ansible group name/,
  },
  {
    name: 'unclosed quote in extra args',
    append: `[setup/slurm]\nansible_extra_args=-e 'x=1`,
    at: 'ansible_extra_args',
    key: 'ansible_extra_args',
    message: /unclosed ' quote/,
  },
  {
    name: 'unclosed quote in ansible_command',
    append: `[setup/slurm]\nansible_command=ansible-playbook -e "x=1`,
    at: 'ansible_command',
    key: 'ansible_command',
    message: /unclosed " quote; close it or escape it with a backslash/,
  },
  {
    name: 'ansible_command naming no program',
    append: `[setup/slurm]\nansible_command="" -v`,
    at: 'ansible_command',
    key: 'ansible_command',
    message: /names no program; write e.g. ansible_command=ansible-playbook/,
  },
  // Cluster references
  {
    name: 'missing cloud section',
    append: 'cloud=nope',
    at: 'cloud=nope',
    key: 'cloud',
    message: /there is no \[cloud\/nope\] section; define it or use one of: local/,
  },
  {
    name: 'misspelt login section',
    append: 'login=locl',
    at: 'login=locl',
    key: 'login',
    message: /no \[login\/locl\] section \(did you mean "local"\?\)/,
  },
  {
    name: 'misspelt setup section',
    append: 'setup=slurmm',
    at: 'setup=slurmm',
    key: 'setup',
    message: /\(did you mean "slurm"\?\)/,
  },
  {
    name: 'missing cloud key',
    text: BASE.replace('cloud=local\n', ''),
    at: '[cluster/slurm]',
    key: 'cloud',
    message: /required key is missing; add cloud=\.\.\. to \[cluster\/slurm\]/,
  },
  {
    name: 'image_user that ssh would read as an option',
    text: BASE.replace('image_user=root', 'image_user=-oProxyCommand=touch X'),
    at: 'image_user=-oProxyCommand',
    key: 'image_user',
    message: /is not valid; write a user name: .*not starting with "-"/,
  },
  {
    name: 'ansible_connection that skips the pinned host keys',
    append: '[setup/slurm]\nansible_connection=paramiko',
    at: 'ansible_connection=paramiko',
    key: 'ansible_connection',
    message: /connection "paramiko" is not supported: herd runs Ansible over OpenSSH/,
  },
  {
    name: 'extra vars that replace the ssh arguments',
    append: '[setup/slurm]\nansible_extra_args=-e ansible_ssh_args="-o StrictHostKeyChecking=no"',
    at: 'ansible_extra_args=',
    key: 'ansible_extra_args',
    message: /sets ansible_ssh_args, which would replace herd's host-key pinning/,
  },
  {
    name: 'local subnet on a public range',
    text: BASE.replace('provider=local', 'provider=local\nsubnet=8.8.8.0/24'),
    at: 'subnet=8.8.8.0/24',
    key: 'subnet',
    message:
      /"8\.8\.8\.0\/24" is not valid; write a private IPv4 network \(inside 10\.0\.0\.0\/8, 172\.16\.0\.0\/12 or 192\.168\.0\.0\/16/,
  },
  {
    name: 'local subnet on a carrier NAT range',
    text: BASE.replace('provider=local', 'provider=local\nsubnet=100.64.0.0/24'),
    at: 'subnet=100.64.0.0/24',
    key: 'subnet',
    message: /is not valid; write a private IPv4 network/,
  },
  // Counts and kinds
  {
    name: 'negative count',
    append: 'compute_nodes=-1',
    at: 'compute_nodes=-1',
    key: 'compute_nodes',
    message: /"-1" is too small; use 0 or more/,
  },
  {
    name: 'count beyond the node cap (the same as --nodes)',
    append: 'compute_nodes=9007199254740991',
    at: 'compute_nodes=9007199254740991',
    key: 'compute_nodes',
    message: /"9007199254740991" is too large; use 10000 or less/,
  },
  {
    name: 'minimum beyond the node cap',
    append: 'compute_nodes_min=10001',
    at: 'compute_nodes_min=10001',
    key: 'compute_nodes_min',
    message: /"10001" is too large; use 10000 or less/,
  },
  {
    name: 'count not a number',
    append: 'compute_nodes=two',
    at: 'compute_nodes=two',
    key: 'compute_nodes',
    message: /"two" is not a whole number/,
  },
  {
    name: 'fractional count',
    append: 'compute_nodes=1.5',
    at: 'compute_nodes=1.5',
    key: 'compute_nodes',
    message: /not a whole number/,
  },
  {
    name: 'min > count',
    append: 'compute_nodes_min=3',
    at: 'compute_nodes_min',
    key: 'compute_nodes_min',
    message: /is 3, more than compute_nodes=2; lower it to 2 or less/,
  },
  {
    name: 'old _min_nodes > count',
    append: 'compute_min_nodes=5',
    at: 'compute_min_nodes',
    key: 'compute_nodes_min',
    message: /is 5, more than compute_nodes=2/,
  },
  {
    name: 'negative min',
    append: 'compute_nodes_min=-2',
    at: 'compute_nodes_min',
    key: 'compute_nodes_min',
    message: /too small; use 0 or more/,
  },
  {
    name: 'min for undefined kind',
    append: 'gpu_nodes_min=1',
    at: 'gpu_nodes_min',
    key: 'gpu_nodes_min',
    message: /kind "gpu", which has no gpu_nodes; add gpu_nodes=N/,
  },
  {
    name: 'kind without groups',
    append: 'gpu_nodes=1',
    at: 'gpu_nodes=1',
    key: 'gpu_nodes',
    message: /kind "gpu" has no gpu_groups in \[setup\/slurm\] \(.*config:6\); add gpu_groups=GROUP/,
  },
  {
    name: 'kind ending in a digit',
    append: 'node1_nodes=1',
    at: 'node1_nodes',
    key: 'node1_nodes',
    message: /kind name "node1" is not valid: .*do not end in a digit/,
  },
  {
    name: 'kind with underscore',
    append: 'big_mem_nodes=1',
    at: 'big_mem_nodes',
    key: 'big_mem_nodes',
    message: /kind name "big_mem" is not valid/,
  },
  {
    name: 'kind named global',
    append: 'global_nodes=1',
    at: 'global_nodes',
    key: 'global_nodes',
    message: /"global" is reserved/,
  },
  {
    name: 'no kinds at all',
    text: BASE.replace('frontend_nodes=1\ncompute_nodes=2\nssh_to=frontend\n', ''),
    at: '[cluster/slurm]',
    key: undefined,
    message: /defines no nodes; add <kind>_nodes=N lines/,
  },
  {
    name: 'ssh_to misspelt',
    append: 'ssh_to=frontnd',
    at: 'ssh_to=frontnd',
    key: 'ssh_to',
    message:
      /"frontnd" is not a kind of this cluster \(did you mean "frontend"\?\); use one of: frontend, compute/,
  },
  {
    name: 'ssh_to unknown kind',
    append: 'ssh_to=login',
    at: 'ssh_to=login',
    key: 'ssh_to',
    message: /"login" is not a kind/,
  },
  {
    name: 'ssh_probe_timeout zero',
    append: 'ssh_probe_timeout=0',
    at: 'ssh_probe_timeout',
    key: 'ssh_probe_timeout',
    message: /too small; use 1 or more/,
  },
  {
    name: 'ssh_address unknown',
    append: 'ssh_address=internal',
    at: 'ssh_address',
    key: 'ssh_address',
    message: /auto, private, public|"auto", "private"/,
  },
  {
    name: 'start_timeout words',
    append: 'start_timeout=ten minutes',
    at: 'start_timeout',
    key: 'start_timeout',
    message: /"ten minutes" is not a whole number/,
  },
  // Node settings
  {
    name: 'unknown local image',
    append: 'image_id=ubuntu-22.04',
    at: 'image_id=',
    key: 'image_id',
    message: /"ubuntu-22.04" is not supported; use one of: debian-12, debian-12-hpc/,
  },
  {
    name: 'override for unknown kind',
    append: '[cluster/slurm/computer]\nimage_id=debian-12',
    at: '[cluster/slurm/computer]',
    key: undefined,
    message:
      /overrides kind "computer", which \[cluster\/slurm\] does not define \(did you mean "compute"\?\)/,
  },
  {
    name: 'bad image in override',
    append: '[cluster/slurm/frontend]\nimage_id=centos',
    at: 'image_id=centos',
    key: 'image_id',
    message: /use one of: debian-12, debian-12-hpc/,
  },
  {
    name: 'override without template',
    append: '[cluster/other/frontend]\nimage_id=debian-12',
    at: '[cluster/other/frontend]',
    key: undefined,
    message: /no \[cluster\/other\] section; add it or rename this section/,
  },
  {
    name: 'ec2 kind without flavor',
    text: EC2.replace('flavor=t3.small\n', ''),
    at: '[cluster/aws]',
    key: 'flavor',
    message: /kind "frontend" has no flavor; set flavor in \[cluster\/aws\] or \[cluster\/aws\/frontend\]/,
  },
  {
    name: 'ec2 vpc without network_ids',
    text: `${EC2}[cloud/aws]\nvpc=vpc-1`,
    at: '[cluster/aws]',
    key: 'network_ids',
    message: /sets vpc=vpc-1 .*so every kind needs network_ids .*frontend, compute has none/,
  },
  {
    name: 'gce disk type from ec2',
    text: `${EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=google\ngce_project_id=p')}boot_disk_type=gp2`,
    at: 'boot_disk_type',
    key: 'boot_disk_type',
    message: /"gp2" is not supported; use one of: pd-standard, pd-balanced, pd-ssd/,
  },
  {
    name: 'ec2 boot disk size zero',
    text: `${EC2}boot_disk_size=0`,
    at: 'boot_disk_size',
    key: 'boot_disk_size',
    message: /too small; use 1 or more/,
  },
  // A misspelt key is accepted with a warning; when the key it should have been is required, the
  // error names both.
  {
    name: 'flavor misspelt, so missing',
    text: EC2.replace('flavor=t3.small', 'flavour=t3.small'),
    at: '[cluster/aws]',
    key: 'flavor',
    message:
      /kind "frontend" has no flavor; set flavor in \[cluster\/aws\] or \[cluster\/aws\/frontend\]; "flavour" \(.*config:\d+\) looks like a misspelling of it: rename it to flavor/,
  },
  {
    name: 'image_id misspelt in an override',
    text: `${EC2.replace('image_id=ami-1234\n', '')}[cluster/aws/frontend]\nimage_di=ami-1\n[cluster/aws/compute]\nimage_id=ami-2\n`,
    at: '[cluster/aws]',
    key: 'image_id',
    message: /kind "frontend" has no image_id; .*"image_di" .* looks like a misspelling of it/,
  },
  {
    name: 'cloud misspelt, so missing',
    text: BASE.replace('cloud=local\nlogin', 'clod=local\nlogin'),
    at: '[cluster/slurm]',
    key: 'cloud',
    message:
      /required key is missing; add cloud=\.\.\. to \[cluster\/slurm\]; "clod" \(.*config:\d+\) looks like a misspelling of it: rename it to cloud/,
  },
  {
    name: 'groups key misspelt, so missing',
    text: BASE.replace('compute_groups=', 'compute_grups='),
    at: 'compute_nodes=2',
    key: 'compute_nodes',
    message:
      /kind "compute" has no compute_groups in \[setup\/slurm\] .*; add compute_groups=GROUP\[,GROUP\.\.\.\] there; "compute_grups" \(.*config:\d+\) looks like a misspelling of it/,
  },
  // Keys of another cloud are accepted, but checked as ElastiCluster checks them.
  {
    name: 'gce key with a bad value on ec2',
    text: `${EC2}accelerator_count=many`,
    at: 'accelerator_count',
    key: 'accelerator_count',
    message: /"many" is not a whole number/,
  },
  {
    name: 'inline # comment after a number',
    append: 'compute_nodes=2   # two workers',
    at: 'compute_nodes=2   #',
    key: 'compute_nodes',
    message: /is not a whole number.*a "#" after a value is part of the value, not a comment/,
  },
  // ElastiCluster's other clouds
  {
    name: 'openstack auth_url not a URL',
    text: EC2.replace(
      'provider=ec2\nec2_region=us-east-1',
      'provider=openstack\nauth_url=keystone.example.org:5000\nusername=u\npassword=p\nproject_name=x',
    ),
    at: 'auth_url',
    key: 'auth_url',
    message:
      /"keystone.example.org:5000" is not valid; herd reaches Keystone only at an http:\/\/ or https:\/\/ URL/,
  },
  {
    name: 'google local_ssd_interface',
    text: `${EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=google\ngce_project_id=p')}local_ssd_interface=SATA`,
    at: 'local_ssd_interface',
    key: 'local_ssd_interface',
    message: /"SATA" is not supported; use one of: NVME, SCSI/,
  },
  {
    name: 'azure storage_account_type',
    text: `${EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=azure')}storage_account_type=fast`,
    at: 'storage_account_type',
    key: 'storage_account_type',
    message: /"fast" is not supported; use one of: Standard_LRS, Premium_LRS/,
  },
  {
    name: 'libcloud without driver_name',
    text: EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=libcloud\nusername=u'),
    at: '[cloud/aws]',
    key: 'driver_name',
    message: /required key is missing; add driver_name=\.\.\. to \[cloud\/aws\]/,
  },
  {
    name: 'azure key on ec2 cloud',
    text: `${EC2}[cloud/aws]\nsubscription_id=x`,
    at: 'subscription_id',
    key: 'subscription_id',
    message: /is not supported by provider ec2_boto \(only by azure\)/,
  },
  // Drop-in files
  {
    name: 'bad value in config.d',
    dropIn: '[cluster/slurm]\n\ncompute_nodes=lots',
    at: 'compute_nodes=lots',
    key: 'compute_nodes',
    message: /"lots" is not a whole number/,
  },
  {
    name: 'syntax error in config.d',
    dropIn: '[cloud/local]\nnat\n',
    at: 'nat',
    key: undefined,
    message: /is not key=value/,
  },
];

/**
 * Mistakes ElastiCluster accepts (any key in cluster, per-kind and setup sections): herd accepts
 * them too, the template stays valid, and a warning at the key's line says what is wrong.
 */
export const WARNING_CASES: Case[] = [
  {
    name: 'unknown setup key',
    append: '[setup/slurm]\nplaybok_path=/x.yml',
    at: 'playbok_path',
    key: 'playbok_path',
    message: /unknown key \(did you mean "playbook_path"\?\); herd ignores it/,
  },
  {
    name: 'node count in setup',
    append: '[setup/slurm]\ngpu_nodes=1',
    at: 'gpu_nodes=1',
    key: 'gpu_nodes',
    message: /belongs in the \[cluster\/NAME\] section; move it there/,
  },
  {
    name: 'network_ids on local',
    append: 'network_ids=subnet-123',
    at: 'network_ids',
    key: 'network_ids',
    message:
      /is not used by provider local \(only by ec2_boto, google, openstack, azure, libcloud, opennebula\); herd ignores it here/,
  },
  {
    name: 'misspelt node key',
    append: 'flavour=small',
    at: 'flavour',
    key: 'flavour',
    message: /unknown key \(did you mean "flavor"\?\); herd passes it to Ansible as elasticluster.flavour/,
  },
  {
    name: 'misspelt count key',
    append: 'compute_node=3',
    at: 'compute_node=3',
    key: 'compute_node',
    message: /did you mean "compute_nodes"/,
  },
  {
    name: 'cloud key in cluster',
    append: 'subnet=10.1.0.0/24',
    at: 'subnet=',
    key: 'subnet',
    message:
      /is a cloud setting and has no effect here; move it to the \[cloud\/NAME\] section.*; herd ignores it$/,
  },
  {
    name: 'groups key in cluster',
    append: 'gpu_groups=x',
    at: 'gpu_groups',
    key: 'gpu_groups',
    message: /belong in the \[setup\/NAME\] section/,
  },
  {
    name: 'login key in cluster',
    append: 'image_user=root',
    at: 'image_user=root',
    key: 'image_user',
    message: /is a login setting and has no effect here; move it to the \[login\/NAME\] section/,
  },
  {
    name: 'unknown key in override',
    append: '[cluster/slurm/frontend]\nimag_id=debian-12',
    at: 'imag_id=',
    key: 'imag_id',
    message: /unknown key \(did you mean "image_id"\?\); herd ignores it/,
  },
  {
    name: 'gce key on ec2',
    text: `${EC2}scheduling=preemptible`,
    at: 'scheduling',
    key: 'scheduling',
    message: /is not used by provider ec2_boto \(only by google\); herd ignores it here/,
  },
  {
    name: 'cluster key in an override',
    append: '[cluster/slurm/frontend]\nssh_to=frontend',
    at: 'ssh_to=frontend',
    key: 'ssh_to',
    message: /can be set only in \[cluster\/NAME\], not per kind; herd ignores it/,
  },
  {
    name: 'secret-looking extra key',
    append: 'db_password=hunter2',
    at: 'db_password',
    key: 'db_password',
    message:
      /unknown key; herd ignores it \(it looks like a secret, and herd never hands secrets to Ansible\)/,
  },
  {
    name: 'retired azure key',
    text: EC2.replace('provider=ec2\nec2_region=us-east-1', 'provider=azure\ncertificate=/x.pem'),
    at: 'certificate',
    key: 'certificate',
    message: /is no longer valid in an Azure cloud section .* and is ignored; remove it/,
  },
  {
    name: 'storage section',
    append: '[storage]\nstorage_path=~/.elasticluster/storage',
    at: '[storage]',
    key: undefined,
    message: /is ElastiCluster's state directory setting, which herd ignores/,
  },
];
