/**
 * The typed result of the configuration pipeline. Later stages (providers, cluster orchestration,
 * Ansible setup) use a Template as is and never look at INI text again.
 */
import type { ConfigProblem } from '../errors.js';

/** Cloud provider names after alias resolution (one per row of src/providers/registry.ts). */
export type { ProviderName } from '../providers/registry.js';

import type { ProviderName } from '../providers/registry.js';

/** A scalar config value after coercion by the schema. */
export type ConfigValue = string | number | boolean;

/** Where a value came from, for messages and `-v` output. */
export interface ValueOrigin {
  file: string;
  line: number;
}

/** A `[cloud/NAME]` section after validation. Keys are the (canonical) INI keys. */
export interface CloudSection {
  name: string;
  provider: ProviderName;
  /** Every other key of the section, coerced by the provider's schema (secrets included: never persist these). */
  settings: Readonly<Record<string, ConfigValue>>;
}

/** A `[login/NAME]` section after validation. */
export interface LoginSection {
  name: string;
  /** Remote user herd connects as. */
  imageUser: string;
  /** Whether `image_user` may sudo (become root). */
  imageSudo: boolean;
  /** Name of the admin user (`image_user_sudo`, default root). */
  imageUserSudo: string;
  /** Key pair name on the cloud (`user_key_name`). */
  userKeyName: string | undefined;
  /** Absolute path of the private key, `~` expanded; undefined = herd generates one per cluster. */
  userKeyPrivate: string | undefined;
  /** Absolute path of the public key; undefined = `<private>.pub` or generated. */
  userKeyPublic: string | undefined;
  /** Any other key of the section (e.g. `image_userdata`). */
  settings: Readonly<Record<string, ConfigValue>>;
}

/** A `[setup/NAME]` section after validation (the `ansible` provider). */
export interface SetupSection {
  name: string;
  provider: 'ansible';
  /** Absolute path of the playbook to run (default: bundled `playbooks/site.yml`). */
  playbookPath: string;
  /** `ansible_command`: the executable (default `ansible-playbook`). */
  ansibleCommand: string | undefined;
  /** `ansible_extra_args`, split shell-style. */
  ansibleExtraArgs: readonly string[];
  /** `ansible_<x>` keys (other than command/extra_args): host variables and `ANSIBLE_<X>` env. */
  ansibleSettings: Readonly<Record<string, ConfigValue>>;
  /** `global_var_<name>` from setup and cluster (cluster wins). */
  globalVars: Readonly<Record<string, string>>;
}

/** Node settings that may be set in `[cluster/N]` and overridden per kind in `[cluster/N/KIND]`. */
export interface NodeSettings {
  image_id?: string;
  flavor?: string;
  security_group?: string;
  image_userdata?: string;
  network_ids?: string;
  /** Any other per-node key valid for the cloud provider (boot_disk_size, tags, ...). */
  [key: string]: ConfigValue | undefined;
}

/** One kind (class) of nodes in a template, e.g. `frontend` or `compute`. */
export interface KindSpec {
  /** The kind name, e.g. `compute`. Letters, digits, hyphen; not ending in a digit. */
  name: string;
  /** `<kind>_nodes`. */
  count: number;
  /** `<kind>_nodes_min` (default: count). */
  min: number;
  /** Ansible groups from `<kind>_groups`, old names already renamed. */
  groups: readonly string[];
  /** `<kind>_var_<name>` from setup and cluster (cluster wins), plus global vars under them. */
  vars: Readonly<Record<string, string>>;
  /** Cluster-level node settings merged with `[cluster/N/KIND]` overrides. */
  settings: Readonly<NodeSettings>;
}

/** Cluster-wide settings of a `[cluster/NAME]` section. */
export interface ClusterSettings {
  /** `ssh_to`: a kind or node name. */
  sshTo: string | undefined;
  /** Seconds one SSH probe may take (`ssh_probe_timeout`, default 5). */
  sshProbeTimeout: number;
  /** Seconds the whole start may take until every node answers SSH (`start_timeout`, default 600). */
  startTimeout: number;
  /** `ssh_proxy_command`, with `%h %p %r` left for expansion. */
  sshProxyCommand: string | undefined;
  /** `ssh_address`: which addresses herd connects to (absent in old state files: auto, private first). */
  sshAddress?: 'auto' | 'private' | 'public';
  /**
   * `idle_stop_minutes` (or `herd start --idle-stop`): the cluster powers itself off after this long
   * without a Slurm job or SSH session on the frontend. Absent: never.
   */
  idleStopMinutes?: number;
  /** `idle_action`: what the powered-off nodes become, `stop` (kept, `herd resume`) or `terminate`. */
  idleAction?: 'stop' | 'terminate';
  /**
   * Keys of `[cluster/NAME]` herd does not know (ElastiCluster allows any): Ansible gets them as the
   * dict variable `elasticluster`, as ElastiCluster hands them to playbooks. Absent when there are none.
   */
  extra?: Readonly<Record<string, string>>;
}

/** A cluster template: the merge of `[cluster/NAME]` with its cloud, login and setup sections. */
export interface Template {
  /** The NAME of `[cluster/NAME]`. */
  name: string;
  cloud: CloudSection;
  login: LoginSection;
  setup: SetupSection;
  cluster: ClusterSettings;
  /** Kinds in the order they first appear in the config. */
  kinds: readonly KindSpec[];
}

/** A template that failed validation, with every problem found. */
export interface InvalidTemplate {
  name: string;
  /** Cloud section name, when it could be read. */
  cloudName: string | undefined;
  /** Provider, when it could be read. */
  provider: string | undefined;
  problems: readonly ConfigProblem[];
}

/** A section resolved on its own, whatever the templates that use it: its value when valid, else its problems. */
export interface ResolvedSection<T> {
  value: T | undefined;
  problems: readonly ConfigProblem[];
}

/** A setup section with its `<kind>_var_<name>` variables by kind. */
export interface SetupSectionWithVars extends SetupSection {
  kindVars: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/** The result of loading a configuration: every template, valid or not, and global notes. */
export interface LoadedConfig {
  /** Files read, in the order they were applied. */
  files: readonly string[];
  /** Valid templates by name. */
  templates: ReadonlyMap<string, Template>;
  /** Invalid templates by name: they never block valid ones. */
  invalid: ReadonlyMap<string, InvalidTemplate>;
  /** Problems not tied to one template (unparsable file, bad section header, ...). */
  errors: readonly ConfigProblem[];
  /** Deprecations, overrides (reported at -v), unset environment variables. */
  warnings: readonly ConfigProblem[];
  /** For `-v`: where each overridden value came from. */
  notes: readonly ConfigProblem[];
  /**
   * Every `[cloud/NAME]` section by NAME, valid or not, independent of the templates that use it:
   * commands on an existing cluster read its credentials from here.
   */
  clouds: ReadonlyMap<string, ResolvedSection<CloudSection>>;
  /** Every `[setup/NAME]` section by NAME, for the secrets an existing cluster's setup needs again. */
  setups: ReadonlyMap<string, ResolvedSection<SetupSectionWithVars>>;
}
