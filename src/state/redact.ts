/**
 * Removes secrets from a template before it is stored in a cluster's state file, and puts them back
 * from the configuration when a later command needs them (setup, resize).
 */
import { flagValue } from '../config/ansible-checks.js';
import { isSecretKey } from '../config/secret-keys.js';
import { splitShellWords } from '../config/shell-words.js';
import { shellQuote } from '../config/ssh-options.js';
import type { ConfigValue, NodeSettings, Template } from '../config/types.js';

/** True when a config key holds a secret that must never be written to disk by herd. */
export { isSecretKey };

type Values = Readonly<Record<string, ConfigValue | undefined>>;

function withoutSecrets<T extends Values>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !isSecretKey(key))) as T;
}

function onlySecrets<T extends Values>(settings: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(settings ?? {}).filter(([key]) => isSecretKey(key))) as Partial<T>;
}

/** `ansible_extra_args` without inline extra vars (`-e key=value`), which may hold passwords; `-e @FILE` stays. */
function withoutInlineExtraVars(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; ) {
    const extra = flagValue(args, i, '--extra-vars', '-e');
    if (!extra) out.push(args[i]!);
    else if (extra.value.startsWith('@')) out.push(...args.slice(i, extra.next));
    i = extra?.next ?? i + 1;
  }
  return out;
}

/** `ansible_command` without inline extra vars in its arguments. */
function commandWithoutInlineExtraVars(command: string | undefined): string | undefined {
  if (command === undefined) return undefined;
  const words = splitShellWords(command);
  if (typeof words === 'string') return command;
  const kept = withoutInlineExtraVars(words);
  return kept.length === words.length ? command : kept.map(shellQuote).join(' ');
}

/**
 * A copy of `t` without secret keys anywhere: cloud settings, login settings, per-kind node
 * settings, `ansible_*` settings (`ansible_become_pass`, `ansible_ssh_pass`) and Ansible variables
 * (`global_var_*`, `<kind>_var_*`) named like a secret, the cluster's extra keys, and the inline extra vars of
 * `ansible_extra_args` and `ansible_command`. Commands that need them later read them from
 * the configuration again (restoreSecrets).
 */
export function redactTemplate(t: Template): Template {
  return {
    ...t,
    cloud: { ...t.cloud, settings: withoutSecrets(t.cloud.settings) },
    login: { ...t.login, settings: withoutSecrets(t.login.settings) },
    setup: {
      ...t.setup,
      ansibleSettings: withoutSecrets(t.setup.ansibleSettings),
      globalVars: withoutSecrets(t.setup.globalVars),
      ansibleExtraArgs: withoutInlineExtraVars(t.setup.ansibleExtraArgs),
      ansibleCommand: commandWithoutInlineExtraVars(t.setup.ansibleCommand),
    },
    cluster: t.cluster.extra ? { ...t.cluster, extra: withoutSecrets(t.cluster.extra) } : t.cluster,
    kinds: t.kinds.map((k) => ({
      ...k,
      vars: withoutSecrets(k.vars),
      settings: withoutSecrets<Readonly<NodeSettings>>(k.settings),
    })),
  };
}

/** Where the secrets of a stored cluster come from again: the configuration's current values. */
export interface SecretSource {
  login?: Values | undefined;
  ansibleSettings?: Values | undefined;
  globalVars?: Readonly<Record<string, string>> | undefined;
  /** Ansible variables per kind, global ones included (as KindSpec.vars holds them). */
  kindVars?: ReadonlyMap<string, Readonly<Record<string, string>>> | undefined;
  kindSettings?: ReadonlyMap<string, Readonly<NodeSettings>> | undefined;
  /** `ansible_extra_args` as configured now (its inline extra vars are not stored). */
  ansibleExtraArgs?: readonly string[] | undefined;
  /** `ansible_command` as configured now (likewise). */
  ansibleCommand?: string | undefined;
}

/** The secrets a template holds, by where they go (the inverse of redactTemplate). */
export function secretsOf(t: Template): SecretSource {
  return {
    login: t.login.settings,
    ansibleSettings: t.setup.ansibleSettings,
    globalVars: t.setup.globalVars,
    kindVars: new Map(t.kinds.map((k) => [k.name, k.vars])),
    kindSettings: new Map(t.kinds.map((k) => [k.name, k.settings])),
    ansibleExtraArgs: t.setup.ansibleExtraArgs,
    ansibleCommand: t.setup.ansibleCommand,
  };
}

/** `base` plus the secret keys of `source` (which win). */
function withSecretsFrom<T extends Values>(base: T, source: Values | undefined): T {
  return { ...base, ...onlySecrets(source) } as T;
}

/**
 * `t` (a redacted snapshot) with the secret keys of `source` added; every other value stays the
 * snapshot's, so a changed config never changes a running cluster's non-secret settings behind its back.
 */
export function restoreSecrets(t: Template, source: SecretSource): Template {
  return {
    ...t,
    login: { ...t.login, settings: withSecretsFrom(t.login.settings, source.login) },
    setup: {
      ...t.setup,
      ansibleSettings: withSecretsFrom(t.setup.ansibleSettings, source.ansibleSettings),
      globalVars: withSecretsFrom(t.setup.globalVars, source.globalVars),
      ansibleExtraArgs: source.ansibleExtraArgs ?? t.setup.ansibleExtraArgs,
      ansibleCommand: 'ansibleCommand' in source ? source.ansibleCommand : t.setup.ansibleCommand,
    },
    kinds: t.kinds.map((k) => ({
      ...k,
      vars: withSecretsFrom(k.vars, source.kindVars?.get(k.name)),
      settings: withSecretsFrom(k.settings, source.kindSettings?.get(k.name)),
    })),
  };
}
