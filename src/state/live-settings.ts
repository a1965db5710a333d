/**
 * What an existing cluster needs from the configuration again: its cloud section (credentials,
 * which state never stores) and the secrets of its setup. Each is resolved on its own, so a
 * template that no longer validates does not cost a cluster its credentials.
 */

import type { CloudSection, LoadedConfig, Template } from '../config/types.js';
import { formatProblem } from '../errors.js';
import { type SecretSource, secretsOf } from './redact.js';

/** The live settings of a cluster, and what to tell the user about where they came from. */
export interface LiveSettings {
  /** The config's cloud section; undefined = use the snapshot in state. */
  cloud: CloudSection | undefined;
  secrets: SecretSource;
  /** About the cloud section (shown by every command that talks to the cloud). */
  warnings: string[];
  notes: string[];
  /** About the setup's secrets (shown only by commands that run Ansible). */
  secretWarnings: string[];
}

/** Finds the cloud section and setup secrets of a cluster started from `templateName` with `snapshot`. */
export function liveSettingsFrom(
  config: LoadedConfig,
  cluster: { name: string; templateName: string; template: Template },
): LiveSettings {
  const warnings: string[] = [];
  const notes: string[] = [];
  const secretWarnings: string[] = [];
  const saved = cluster.template.cloud;
  const usingSaved = `using the settings saved with cluster "${cluster.name}", which hold no credentials`;
  let cloud: CloudSection | undefined;
  const section = config.clouds.get(saved.name);
  if (!section) {
    notes.push(`[cloud/${saved.name}] is not in the configuration; ${usingSaved}.`);
  } else if (!section.value) {
    warnings.push(
      `[cloud/${saved.name}] in the configuration is invalid (${section.problems.map(formatProblem).join('; ')}); ${usingSaved}.`,
    );
  } else if (section.value.provider !== saved.provider) {
    warnings.push(
      `[cloud/${saved.name}] in the configuration is now provider ${section.value.provider}, but cluster "${cluster.name}" runs on ${saved.provider}; ${usingSaved}.`,
    );
  } else {
    cloud = section.value;
  }

  const template = config.templates.get(cluster.templateName);
  if (template) return { cloud, secrets: secretsOf(template), warnings, notes, secretWarnings };
  const setup = config.setups.get(cluster.template.setup.name)?.value;
  secretWarnings.push(
    `template "${cluster.templateName}" in the configuration is ${config.invalid.has(cluster.templateName) ? 'invalid' : 'missing'}, so secrets set in [cluster/${cluster.templateName}] (Ansible variables named like a password) are not passed to Ansible${setup ? `; those of [setup/${setup.name}] are` : ''}.`,
  );
  if (!setup) return { cloud, secrets: {}, warnings, notes, secretWarnings };
  const kindVars = new Map(
    cluster.template.kinds.map((k) => [k.name, { ...setup.globalVars, ...setup.kindVars.get(k.name) }]),
  );
  return {
    cloud,
    secrets: {
      ansibleSettings: setup.ansibleSettings,
      globalVars: setup.globalVars,
      kindVars,
      ansibleExtraArgs: setup.ansibleExtraArgs,
      ansibleCommand: setup.ansibleCommand,
    },
    warnings,
    notes,
    secretWarnings,
  };
}
