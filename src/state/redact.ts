/** Removes cloud secrets from a template before it is stored in a cluster's state file. */
import type { ConfigValue, NodeSettings, Template } from '../config/types.js';

/** Secret keys whose names the pattern below does not catch. */
const SECRET_KEYS = new Set([
  'ec2_secret_key',
  'ec2_access_key',
  'password',
  'gce_client_secret',
  'gce_client_id',
]);

const SECRET_PATTERN = /secret|password|token|credential/i;

/** True when a config key holds a secret that must never be written to disk by herd. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase()) || SECRET_PATTERN.test(key);
}

function withoutSecrets<T extends Readonly<Record<string, ConfigValue | undefined>>>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !isSecretKey(key))) as T;
}

/**
 * A copy of `t` without secret keys in the settings that reach a cloud or the login: cloud
 * settings, login settings, per-kind node settings, `ansible_*` settings and the cluster's extra keys. Commands that talk to
 * the cloud later read the secrets from the configuration again. `global_var_*` and `<kind>_var_*`
 * stay: the setup run needs them, and they are Ansible's business, not the cloud's.
 */
export function redactTemplate(t: Template): Template {
  return {
    ...t,
    cloud: { ...t.cloud, settings: withoutSecrets(t.cloud.settings) },
    login: { ...t.login, settings: withoutSecrets(t.login.settings) },
    setup: { ...t.setup, ansibleSettings: withoutSecrets(t.setup.ansibleSettings) },
    cluster: t.cluster.extra ? { ...t.cluster, extra: withoutSecrets(t.cluster.extra) } : t.cluster,
    kinds: t.kinds.map((k) => ({ ...k, settings: withoutSecrets<Readonly<NodeSettings>>(k.settings) })),
  };
}
