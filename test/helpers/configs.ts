/**
 * herd config files for tests and benchmarks: one Slurm cluster template on one cloud, written the same way
 * everywhere. bench/ compiles this file with the other test doubles (bench/test-doubles.mjs), so it imports
 * nothing.
 */

/** `key=value` settings of one section, in order. */
export type Settings = Record<string, string | number>;

/** A config with `[cloud/<cloud.name>]`, `[login/<login.name>]`, `[setup/slurm]` and `[cluster/<name>]`. */
export interface SlurmConfig {
  /** First line, a `#` comment saying what the config is for. */
  comment?: string;
  cloud: { name: string; settings: Settings };
  login: { name: string; settings: Settings };
  /** The cluster template's name (default `slurm`). */
  name?: string;
  /** Cluster settings after cloud, login and setup, before the node counts (image_id, flavor, ...). */
  cluster: Settings;
  frontendNodes?: number;
  computeNodes?: number;
  /** Cluster settings after `ssh_to` (timeouts, ...). */
  after?: Settings;
  /** Text appended as is (more sections). */
  extra?: string;
}

const lines = (settings: Settings) => Object.entries(settings).map(([key, value]) => `${key}=${value}\n`);

/** What a `[cluster/NAME]` section holds, in the order it is written. */
export interface ClusterSection {
  name: string;
  cloud: string;
  login: string;
  /** Settings before the node counts (image_id, flavor, ...). */
  settings: Settings;
  frontendNodes?: number;
  computeNodes?: number;
  /** Settings after `ssh_to` (timeouts, ...). */
  after?: Settings;
}

/** A `[cluster/NAME]` section of the Slurm setup: `frontend_nodes`, `compute_nodes`, SSH to the frontend. */
export function clusterSection(c: ClusterSection): string {
  return [
    `[cluster/${c.name}]\ncloud=${c.cloud}\nlogin=${c.login}\nsetup=slurm\n`,
    ...lines(c.settings),
    `frontend_nodes=${c.frontendNodes ?? 1}\ncompute_nodes=${c.computeNodes ?? 2}\nssh_to=frontend\n`,
    ...lines(c.after ?? {}),
  ].join('');
}

/** The config text: a frontend (slurm_master) and compute nodes (slurm_worker), SSH to the frontend. */
export function slurmConfig(c: SlurmConfig): string {
  return [
    c.comment ? `# ${c.comment}\n` : '',
    `[cloud/${c.cloud.name}]\n`,
    ...lines(c.cloud.settings),
    `\n[login/${c.login.name}]\n`,
    ...lines(c.login.settings),
    '\n[setup/slurm]\nprovider=ansible\nfrontend_groups=slurm_master\ncompute_groups=slurm_worker\n\n',
    clusterSection({
      name: c.name ?? 'slurm',
      cloud: c.cloud.name,
      login: c.login.name,
      settings: c.cluster,
      frontendNodes: c.frontendNodes,
      computeNodes: c.computeNodes,
      after: c.after,
    }),
    c.extra ?? '',
  ].join('');
}

/** What the cloud-specific configs below let a test choose. */
export interface ConfigOptions {
  /** Template name (default `slurm`). */
  name?: string;
  comment?: string;
  computeNodes?: number;
  /** Cluster settings after `ssh_to` (start_timeout, ssh_proxy_command, ...). */
  after?: Settings;
  /**
   * For a cloud whose addresses lead nowhere (moto, the fakes): SSH probes run `false` as their proxy
   * and fail, so herd never sends a packet to them whatever goes wrong, and start gives up after 30 s.
   */
  neverProbe?: boolean;
  /** Text appended as is (more sections). */
  extra?: string;
}

/** The settings `neverProbe` adds after `ssh_to`. */
const NEVER_PROBE: Settings = { ssh_proxy_command: 'false', start_timeout: 30 };

/** `o.after`, after what `o.neverProbe` sets. */
function afterOf(o: ConfigOptions): Settings | undefined {
  return o.neverProbe ? { ...NEVER_PROBE, ...o.after } : o.after;
}

/** Local nodes (systemd-nspawn) on `bridge` in `subnet`, logged in as root. */
export function localSlurmConfig(
  o: ConfigOptions & { bridge: string; subnet: string; image?: string },
): string {
  return slurmConfig({
    ...o,
    cloud: { name: 'local', settings: { provider: 'local', bridge: o.bridge, subnet: o.subnet } },
    login: { name: 'local', settings: { image_user: 'root' } },
    cluster: { image_id: o.image ?? 'debian-12-hpc' },
  });
}

/** An AMI moto knows (Ubuntu, root device /dev/sda1); the node farm boots its own image instead. */
export const EC2_TEST_AMI = 'ami-1e749f67';

/** A Slurm cluster on EC2 at `url` (moto) in subnet `subnetId`, t3.micro, login `admin` with sudo. */
export function ec2SlurmConfig(
  url: string,
  o: ConfigOptions & { subnetId: string; login?: Settings; cluster?: Settings },
): string {
  return slurmConfig({
    ...o,
    after: afterOf(o),
    cloud: ec2Cloud(url),
    login: { name: 'debian', settings: { image_user: 'admin', image_sudo: 'yes', ...o.login } },
    cluster: { image_id: EC2_TEST_AMI, flavor: 't3.micro', network_ids: o.subnetId, ...o.cluster },
  });
}

/** `[cloud/aws]` settings of EC2 at `url` (moto) with moto's test credentials. */
export function ec2Cloud(url: string): { name: string; settings: Settings } {
  return {
    name: 'aws',
    settings: {
      provider: 'ec2_boto',
      ec2_url: url,
      ec2_region: 'us-east-1',
      ec2_access_key: 'testing',
      ec2_secret_key: 'testing',
    },
  };
}

/** `[cloud/gce]` settings of Compute Engine at `url` (the fake in test/fakes/gce). */
export function gceCloud(url: string, project = 'herd-test'): { name: string; settings: Settings } {
  return {
    name: 'gce',
    settings: { provider: 'gce', gce_project_id: project, gce_api_endpoint: url, zone: 'us-central1-a' },
  };
}

/** `[cloud/os]` settings of OpenStack at `authUrl` (the fake in test/fakes/openstack). */
export function openstackCloud(authUrl: string, more: Settings = {}): { name: string; settings: Settings } {
  return {
    name: 'os',
    settings: {
      provider: 'openstack',
      auth_url: authUrl,
      username: 'herd',
      password: 'secret',
      project_name: 'herd-project',
      ...more,
    },
  };
}

/** A Slurm cluster on Compute Engine at `url`: image debian-12, e2-small, no external IPs. */
export function gceSlurmConfig(url: string, o: ConfigOptions & { project?: string } = {}): string {
  return slurmConfig({
    ...o,
    after: afterOf(o),
    cloud: gceCloud(url, o.project),
    login: { name: 'gce', settings: { image_user: 'herd' } },
    cluster: { image_id: 'debian-12', flavor: 'e2-small', external_ip: 'false' },
  });
}

/** A Slurm cluster on OpenStack at `authUrl`: image debian-12, m1.small, network `private`. */
export function openstackSlurmConfig(
  authUrl: string,
  o: ConfigOptions & { cloud?: Settings; login?: Settings; cluster?: Settings } = {},
): string {
  return slurmConfig({
    ...o,
    after: afterOf(o),
    cloud: openstackCloud(authUrl, o.cloud),
    login: { name: 'debian', settings: { image_user: 'debian', ...o.login } },
    cluster: { image_id: 'debian-12', flavor: 'm1.small', network_ids: 'private', ...o.cluster },
  });
}
