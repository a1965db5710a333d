/**
 * The setup runner orchestration uses (`ClusterDeps.runSetup`): its request type, and the real one, which
 * builds the ansible-playbook invocation, runs it and estimates the number of tasks for a progress bar.
 */
import { join } from 'node:path';
import type { Template } from '../config/types.js';
import type { Logger } from '../log.js';
import { controlSocketsFit } from '../ssh/run-dir.js';
import type { ClusterState } from '../state/types.js';
import { buildAnsibleInvocation } from './ansible.js';
import { runAnsible } from './run-ansible.js';
import { createTaskCounter, estimateTaskCount, rememberTaskCount, taskCountKey } from './task-estimate.js';

/** Runs the Ansible setup (inventory written by the caller) and throws AnsibleError on failure. */
export type SetupRunner = (request: {
  state: ClusterState;
  template: Template;
  /** Playbook to run instead of the template's (e.g. the bundled slurm-drain.yml). */
  playbook?: string | undefined;
  extraVars?: Readonly<Record<string, unknown>> | undefined;
  extraArgs?: readonly string[] | undefined;
  verbosity: number;
  signal?: AbortSignal | undefined;
  onLine?: ((line: string) => void) | undefined;
}) => Promise<void>;

/** Where the real setup runner keeps its files, and whom it tells what. */
export interface SetupRunnerOptions {
  /** The storage directory (task count estimates are kept there). */
  storageDir: string;
  /** The cluster's run directory (SSH control sockets, private files of a run). */
  runDirOf: (state: ClusterState) => string;
  /** The file that holds the PID of the cluster's running ansible-playbook. */
  pidFileOf: (cluster: string) => string;
  /** The bundled playbooks directory (its `roles` are on Ansible's roles path). */
  playbooksDir: string;
  log: Logger;
  /** Takes the number of tasks the playbook will run; absent where nothing draws a bar of tasks done. */
  expectTasks?: ((count: number) => void) | undefined;
}

/** The real setup runner: ansible-playbook with herd's inventory, SSH options and extra vars. */
export function createSetupRunner(options: SetupRunnerOptions): SetupRunner {
  const { log } = options;
  return async (request) => {
    const template = request.playbook
      ? { ...request.template, setup: { ...request.template.setup, playbookPath: request.playbook } }
      : request.template;
    const extraVars = request.extraVars ? ['--extra-vars', JSON.stringify(request.extraVars)] : [];
    const runDir = options.runDirOf(request.state);
    const invocation = buildAnsibleInvocation({
      state: request.state,
      template,
      extraArgs: [...extraVars, ...(request.extraArgs ?? [])],
      verbosity: request.verbosity,
      env: process.env,
      bundledRolesDir: join(options.playbooksDir, 'roles'),
      runDir,
    });
    for (const warning of invocation.warnings) log.warn(warning);
    if (!controlSocketsFit(runDir)) {
      log.warn(
        `The path ${runDir} is too long for SSH control sockets (a Unix socket path holds at most 107 bytes), so Ansible connects without connection sharing (slower). Use a shorter storage directory (-s) or cluster name.`,
      );
    }
    log.debug(`Running: ${invocation.command} ${invocation.args.join(' ')}`, 2);
    // Only a terminal draws a bar of tasks done, against an estimate made beside the real run. It
    // starts with the run's first line: the invocation's private files exist only while the run does.
    const key = taskCountKey(template.setup.playbookPath, request.extraArgs ?? []);
    let estimating = !(options.expectTasks && request.verbosity === 0);
    const started = createTaskCounter();
    await runAnsible({
      ...invocation,
      cluster: request.state.name,
      runDir,
      pidFile: options.pidFileOf(request.state.name),
      onLine: (line) => {
        if (!estimating) {
          estimating = true;
          void estimateTaskCount(invocation, options.storageDir, key, request.signal).then((count) => {
            if (count !== undefined) options.expectTasks?.(count);
          });
        }
        started.push(line);
        request.onLine?.(line);
      },
      ...(request.signal ? { signal: request.signal } : {}),
    });
    await rememberTaskCount(options.storageDir, key, started.count).catch(() => undefined);
  };
}
