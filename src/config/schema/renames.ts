/**
 * ElastiCluster spellings herd still accepts, each with a deprecation warning naming the new one.
 * Data only: the merge applies them before validation.
 */

/** Renamed keys per section type: old -> new. */
export const RENAMED_KEYS: Readonly<
  Record<'cloud' | 'login' | 'setup' | 'cluster', Readonly<Record<string, string>>>
> = {
  cloud: {
    tenant_name: 'project_name',
    auto_ip_assignment: 'request_floating_ip',
    nova_api_version: 'compute_api_version',
  },
  login: {},
  setup: {
    ssh_pipelining: 'ansible_ssh_pipelining',
    ansible_module_dir: 'ansible_library',
    // ElastiCluster's schema spells it this way, its setup provider the other way.
    safe_but_slower: 'slow_but_safer',
  },
  cluster: { setup_provider: 'setup' },
};

/** `<kind>_min_nodes` is the old spelling of `<kind>_nodes_min`. */
export const OLD_MIN_NODES = /^(.+)_min_nodes$/;

/** Keys ElastiCluster 1.0 accepted that have no effect; ignored with a warning saying why. */
export const IGNORED_KEYS: Readonly<Record<string, string>> = {
  frontend_class: 'it had no effect in ElastiCluster either; remove it',
};

/**
 * Old Ansible group names -> their current names: ElastiCluster renames these (its
 * `_RENAMED_NODE_GROUPS`) whatever playbook runs, and so does herd.
 */
export const RENAMED_GROUPS: Readonly<Record<string, string>> = {
  condor_workers: 'condor_worker',
  gluster_client: 'glusterfs_client',
  gluster_data: 'glusterfs_server',
  gridengine_clients: 'gridengine_worker',
  maui_master: 'torque_master',
  pbs_clients: 'torque_worker',
  pbs_master: 'torque_master',
  slurm_clients: 'slurm_worker',
  slurm_workers: 'slurm_worker',
};
