/**
 * `herd check [CLOUD...]`: is everything in place before spending money? The configuration, each
 * cloud section (credentials with one cheap call, region/zone/project, the host for the local
 * provider), Ansible, and each template (its images, flavors, key pair, security groups, quota),
 * all through the providers' read-only preflight. Nothing is created.
 */
import { readFile } from 'node:fs/promises';
import type { CloudSection, LoadedConfig, Template } from '../config/types.js';
import { formatProblem, HerdError, UsageError } from '../errors.js';
import type { PreflightCheck, PreflightReport, Provider } from '../providers/types.js';
import type { AnsibleVersion } from '../setup/ansible-version.js';
import { newClusterId } from '../state/index.js';
import type { PlanDeps } from './plan.js';

/** Checks about one subject (a cloud section, Ansible, a template, the configuration). */
export interface CheckSection {
  /** `cloud/aws`, `template/slurm`, `ansible`, `config`. */
  title: string;
  checks: PreflightCheck[];
}

/** Everything `herd check` found. */
export interface CheckReport {
  sections: CheckSection[];
  /** No check failed. */
  ok: boolean;
}

/** Checks that concern a cloud account or host rather than one template. */
const ACCOUNT_CHECKS = new Set([
  'credentials',
  'region',
  'zone',
  'project',
  'host-root',
  'host-tools',
  'kernel-overlayfs',
  'kernel-shared-fs',
]);

/** Options of {@link checkEnvironment}. */
export interface CheckOptions {
  readonly deps: PlanDeps;
  readonly config: LoadedConfig;
  /** Cloud section names to check (empty: every cloud the config uses). */
  readonly clouds: readonly string[];
  readonly ansibleVersion: (command: string | undefined) => Promise<AnsibleVersion>;
  readonly signal?: AbortSignal | undefined;
}

/** Runs every check; a named cloud the configuration does not have is a UsageError. */
export async function checkEnvironment(options: CheckOptions): Promise<CheckReport> {
  const { config } = options;
  const valid = [...config.templates.values()];
  const invalid = [...config.invalid.values()];
  const allClouds = new Map<string, CloudSection | undefined>();
  for (const t of valid) allClouds.set(t.cloud.name, t.cloud);
  for (const t of invalid)
    if (t.cloudName && !allClouds.has(t.cloudName)) allClouds.set(t.cloudName, undefined);
  const unknown = options.clouds.filter((c) => !allClouds.has(c.replace(/^cloud\//, '')));
  if (unknown.length > 0) {
    throw new UsageError(
      `No template of the configuration uses cloud ${unknown.map((c) => `"${c}"`).join(', ')}.`,
      {
        hint: `Clouds in use: ${[...allClouds.keys()].join(', ') || '(none)'}. Check names are those of [cloud/NAME] sections.`,
      },
    );
  }
  const wanted =
    options.clouds.length > 0 ? new Set(options.clouds.map((c) => c.replace(/^cloud\//, ''))) : undefined;
  const clouds = [...allClouds].filter(([name]) => !wanted || wanted.has(name));

  const sections: CheckSection[] = [configSection(config)];
  const templateSections: CheckSection[] = [];
  for (const [name, cloud] of clouds) {
    const cloudSection: CheckSection = { title: `cloud/${name}`, checks: [] };
    sections.push(cloudSection);
    const templates = valid.filter((t) => t.cloud.name === name);
    if (!cloud) {
      cloudSection.checks.push({
        id: 'config',
        status: 'fail',
        message: 'every template on this cloud is invalid (see below)',
        hint: 'Fix the problems listed under the templates.',
      });
    } else {
      const reports = await preflightCloud(options, cloud, templates, cloudSection);
      for (const [template, report] of reports) {
        const own = report.checks.filter((c) => !ACCOUNT_CHECKS.has(c.id));
        for (const c of report.checks.filter((c) => ACCOUNT_CHECKS.has(c.id))) addOnce(cloudSection, c);
        templateSections.push({
          title: `template/${template.name}`,
          checks: [
            { id: 'config', status: 'ok', message: `valid; ${describeKinds(template)}` },
            ...own,
            ...report.resources.map(
              (r): PreflightCheck => ({
                id: r.type,
                status: 'ok',
                message: `${r.name} ${r.action === 'use' ? 'exists' : 'does not exist yet; start creates it'}${r.detail ? ` (${r.detail})` : ''}`,
              }),
            ),
          ],
        });
      }
    }
    for (const t of invalid.filter((t) => t.cloudName === name)) {
      templateSections.push({
        title: `template/${t.name}`,
        checks: t.problems.map((p) => ({
          id: 'config',
          status: 'fail' as const,
          message: formatProblem(p),
          hint: `Fix [${p.section ?? `cluster/${t.name}`}]${p.key ? ` ${p.key}` : ''} in ${p.file ?? 'the configuration'}.`,
        })),
      });
    }
  }
  sections.push(
    await ansibleSection(
      options,
      valid.filter((t) => !wanted || wanted.has(t.cloud.name)),
    ),
  );
  sections.push(...templateSections);
  return { sections, ok: !sections.some((s) => s.checks.some((c) => c.status === 'fail')) };
}

/** One preflight per template on the cloud (none: the account alone), sharing one provider. */
async function preflightCloud(
  options: CheckOptions,
  cloud: CloudSection,
  templates: readonly Template[],
  section: CheckSection,
): Promise<[Template, PreflightReport][]> {
  const { deps } = options;
  let provider: Provider;
  try {
    provider = await deps.createProvider(cloud, { storageDir: deps.repo.dir, log: deps.log });
  } catch (error) {
    section.checks.push(failed('config', error));
    return [];
  }
  if (!provider.preflight) {
    section.checks.push({
      id: 'preflight',
      status: 'warn',
      message: `provider ${cloud.provider} has no read-only checks yet; nothing was checked`,
    });
    return [];
  }
  const results: [Template, PreflightReport][] = [];
  if (templates.length === 0) {
    const report = await provider.preflight({
      cluster: { name: cloud.name, id: newClusterId() },
      login: { user: '', publicKey: undefined, keyName: undefined },
      kinds: [],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for (const c of report.checks) addOnce(section, c);
    return [];
  }
  for (const template of templates) {
    const report = await provider.preflight({
      // Checked as a new cluster of this template: with the fresh id start would give it.
      cluster: { name: template.name, id: newClusterId() },
      template: template.name,
      login: {
        user: template.login.imageUser,
        publicKey: await publicKeyOf(template, deps.repo.pathsFor(template.name).publicKey),
        keyName: template.login.userKeyName,
      },
      kinds: template.kinds.map((k) => ({ kind: k.name, count: k.count, settings: k.settings })),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    results.push([template, report]);
  }
  return results;
}

/** ansible-playbook (and every other ansible_command of the templates checked) runs, and its version. */
async function ansibleSection(options: CheckOptions, templates: readonly Template[]): Promise<CheckSection> {
  const commands = [...new Set(templates.map((t) => t.setup.ansibleCommand))];
  if (commands.length === 0) commands.push(undefined);
  const section: CheckSection = { title: 'ansible', checks: [] };
  for (const command of commands) {
    const found = await options.ansibleVersion(command);
    const name = command ?? 'ansible-playbook';
    section.checks.push(
      found.ok
        ? { id: 'ansible', status: 'ok', message: `${name}: ${found.line}` }
        : {
            id: 'ansible',
            status: 'fail',
            message: found.reason,
            hint:
              command === undefined
                ? 'Install the Debian package ansible-core (apt-get install ansible-core).'
                : 'Fix ansible_command in the setup section, or install ansible-core and remove ansible_command.',
          },
    );
  }
  return section;
}

/** Files read and problems outside any template. */
function configSection(config: LoadedConfig): CheckSection {
  const checks: PreflightCheck[] = [
    {
      id: 'config',
      status: config.templates.size > 0 ? 'ok' : 'warn',
      message: `${config.files.length} file(s) read (${config.files.join(', ') || 'none'}); ${config.templates.size} valid template(s), ${config.invalid.size} invalid`,
      ...(config.templates.size > 0
        ? {}
        : { hint: 'Add a [cluster/NAME] section (see the commented default configuration).' }),
    },
  ];
  for (const p of config.errors) {
    checks.push({
      id: 'config',
      status: 'fail',
      message: formatProblem(p),
      hint: 'Fix the file at the place named.',
    });
  }
  return { title: 'config', checks };
}

async function publicKeyOf(template: Template, generated: string): Promise<string | undefined> {
  const path = template.login.userKeyPrivate
    ? (template.login.userKeyPublic ?? `${template.login.userKeyPrivate}.pub`)
    : generated;
  return readFile(path, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

function describeKinds(template: Template): string {
  return template.kinds.map((k) => `${k.count} ${k.name}`).join(', ');
}

function addOnce(section: CheckSection, check: PreflightCheck): void {
  const same = (c: PreflightCheck) =>
    c.id === check.id && c.status === check.status && c.message === check.message;
  if (!section.checks.some(same)) section.checks.push(check);
}

function failed(id: string, error: unknown): PreflightCheck {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof HerdError ? error.hint : undefined;
  return { id, status: 'fail', message, ...(hint ? { hint } : {}) };
}
