/** Removes cloud secrets from a template before it is stored in a cluster's state file. */
import { isSecretKey } from '../config/secret-keys.js';
import type { ConfigValue, NodeSettings, Template } from '../config/types.js';

/** True when a config key holds a secret that must never be written to disk by herd. */
export { isSecretKey };

function withoutSecrets<T extends Readonly<Record<string, ConfigValue | undefined>>>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !isSecretKey(key))) as T;
}

/**
 * A copy of `t` without secret keys in the settings that reach a cloud or the login: cloud
 * settings, login settings, per-kind node settings and `ansible_*` settings. Commands that talk to
 * the cloud later read the secrets from the configuration again. `global_var_*` and `<kind>_var_*`
 * stay: the setup run needs them, and they are Ansible's business, not the cloud's.
 */
export function redactTemplate(t: Template): Template {
  return {
    ...t,
    cloud: { ...t.cloud, settings: withoutSecrets(t.cloud.settings) },
    login: { ...t.login, settings: withoutSecrets(t.login.settings) },
    setup: { ...t.setup, ansibleSettings: withoutSecrets(t.setup.ansibleSettings) },
    kinds: t.kinds.map((k) => ({ ...k, settings: withoutSecrets<Readonly<NodeSettings>>(k.settings) })),
  };
}
