/**
 * Secret Ansible settings and variables (`ansible_become_pass`, `global_var_db_password`) never
 * reach the inventory file nor a command line: the inventory holds an environment lookup, and the
 * value travels in ansible-playbook's environment (which only the user and root can read).
 */
import { isSecretKey } from '../config/secret-keys.js';
import type { Template } from '../config/types.js';

/** Where each secret of a template goes: an environment variable per value. */
export interface SecretEnv {
  /** Variables to add to ansible-playbook's environment. */
  env: Record<string, string>;
  /** The inventory value for setting `key` of the setup section, when it is a secret. */
  setting(key: string): string | undefined;
  /** The inventory value for variable `key` of kind `kind`, when it is a secret. */
  variable(kind: string, key: string): string | undefined;
}

/** The Ansible variables of a node of `kind`: the global ones, then the kind's own. */
export function variablesOf(template: Template, kind: string): Readonly<Record<string, string>> {
  return { ...template.setup.globalVars, ...template.kinds.find((k) => k.name === kind)?.vars };
}

/** The inventory text that reads environment variable `name` when Ansible uses the value. */
function lookup(name: string): string {
  return `{{ lookup("env", "${name}") }}`;
}

/** Assigns an environment variable to every secret of the template, in a fixed order. */
export function secretEnvFor(template: Template): SecretEnv {
  const env: Record<string, string> = {};
  const refs = new Map<string, string>();
  const add = (id: string, value: unknown) => {
    const name = `HERD_SECRET_${Object.keys(env).length + 1}`;
    env[name] = String(value);
    refs.set(id, lookup(name));
  };
  for (const [key, value] of Object.entries(template.setup.ansibleSettings)) {
    if (isSecretKey(key)) add(`setting\0${key}`, value);
  }
  for (const kind of template.kinds) {
    for (const [key, value] of Object.entries(variablesOf(template, kind.name))) {
      if (isSecretKey(key)) add(`var\0${kind.name}\0${key}`, value);
    }
  }
  return {
    env,
    setting: (key) => refs.get(`setting\0${key}`),
    variable: (kind, key) => refs.get(`var\0${kind}\0${key}`),
  };
}
