/**
 * Builds the real dependencies of the orchestration functions from the global options: config, state
 * repository, provider factory, SSH waiter, Ansible runner, progress display. Kept out of the command
 * files so they stay thin, and lazy so `herd --help` and `herd list` load nothing they do not use. The
 * config loader is imported statically: the bundle puts it in the start-up chunk with this module, where
 * a dynamic import would only add a module load (a re-export chunk) to every command that reads the config.
 */
import type { ClusterDeps } from '../cluster/deps.js';
import * as config from '../config/index.js';
import type { CloudSection, LoadedConfig, Template } from '../config/types.js';
import { formatProblem } from '../errors.js';
import type { SecretSource, StateRepository } from '../state/index.js';
import type { LiveSettings } from '../state/live-settings.js';
import type { ClusterState } from '../state/types.js';
import type { CliContext } from './context.js';
import { defaultConfigTemplate, playbooksDir } from './paths.js';

/** Opens the state repository (creating the storage dir 0700). */
export async function openRepo(ctx: CliContext): Promise<StateRepository> {
  const { StateRepository } = await import('../state/index.js');
  return StateRepository.open(ctx.storageDir);
}

/**
 * Loads the configuration, first copying the default one into place when none exists. Warnings are
 * printed at the default verbosity, override notes at -v.
 */
export async function loadConfigFor(ctx: CliContext, options: { quiet: boolean }) {
  // Only the default path is created: a file named with -c or HERD_CONFIG that does not exist is a typo.
  if (ctx.configIsDefault && (await config.ensureDefaultConfig(ctx.configPath, defaultConfigTemplate))) {
    ctx.log.info(
      `Created the default configuration ${ctx.configPath}; edit it to add your clouds and templates.`,
    );
  }
  const loaded: LoadedConfig = await config.loadConfig({
    configPath: ctx.configPath,
    env: process.env,
    playbooksDir,
  });
  if (!options.quiet || ctx.verbosity > 0) {
    for (const w of loaded.warnings) ctx.log.warn(formatProblem(w));
    for (const n of loaded.notes) ctx.log.debug(formatProblem(n));
  }
  return { config: loaded, getTemplate: config.getTemplate, summarizeTemplates: config.summarizeTemplates };
}

/**
 * Reads the configuration once and returns what each existing cluster takes from it: the config's
 * cloud section (it carries the credentials the state file never stores) and the secrets of its setup.
 * With no usable configuration every cluster gets a note and nothing (its snapshot in state is used).
 */
export async function liveSettingsReader(ctx: CliContext): Promise<(state: ClusterState) => LiveSettings> {
  try {
    const { config } = await loadConfigFor(ctx, { quiet: true });
    const { liveSettingsFrom } = await import('../state/live-settings.js');
    return (state) => liveSettingsFrom(config, state);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return (state) => ({
      cloud: undefined,
      secrets: {},
      warnings: [],
      notes: [
        `No usable configuration (${why}); using the settings saved with cluster "${state.name}", which hold no credentials or secrets.`,
      ],
      secretWarnings: [],
    });
  }
}

/**
 * The cloud section and setup secrets of an existing cluster (see liveSettingsReader), else the
 * redacted snapshot from state. `forSetup` also reports what it means for the Ansible secrets.
 */
export async function liveSettings(
  ctx: CliContext,
  state: ClusterState,
  options: { forSetup: boolean },
): Promise<{ cloud: CloudSection; secrets: SecretSource }> {
  const live = (await liveSettingsReader(ctx))(state);
  for (const warning of [...live.warnings, ...(options.forSetup ? live.secretWarnings : [])]) {
    ctx.log.warn(warning);
  }
  for (const note of live.notes) ctx.log.debug(note);
  return { cloud: live.cloud ?? state.template.cloud, secrets: live.secrets };
}

/** The cloud section to use for an existing cluster (see liveSettings). */
export async function liveCloud(ctx: CliContext, state: ClusterState): Promise<CloudSection> {
  return (await liveSettings(ctx, state, { forSetup: false })).cloud;
}

/** The cluster's template snapshot with the live cloud section and the secrets of its setup put back. */
export async function liveTemplate(ctx: CliContext, state: ClusterState): Promise<Template> {
  const live = await liveSettings(ctx, state, { forSetup: true });
  const { restoreSecrets } = await import('../state/redact.js');
  return restoreSecrets({ ...state.template, cloud: live.cloud }, live.secrets);
}

/** Arguments after `--` on the command line. */
export function passthroughArgs(args: object): string[] {
  const rest = (args as { '--'?: unknown })['--'];
  return Array.isArray(rest) ? rest.map(String) : [];
}

/** What a dry run needs: state to read, providers for their read-only preflight, a logger. */
export async function buildPlanDeps(ctx: CliContext) {
  const [{ createProvider }, repo] = await Promise.all([import('../providers/index.js'), openRepo(ctx)]);
  return { repo, createProvider, log: ctx.log };
}

/** Everything the orchestration functions need, wired to the real implementations. */
export async function buildDeps(ctx: CliContext, options: { json: boolean }): Promise<ClusterDeps> {
  const [
    { createProvider },
    { createSshWaiter },
    keys,
    knownHosts,
    setup,
    { createSetupRunner },
    runDirs,
    { createProgress },
    { createSetupMarks },
    { packageVersion },
  ] = await Promise.all([
    import('../providers/index.js'),
    import('../ssh/ssh-waiter.js'),
    import('../ssh/keys.js'),
    import('../ssh/known-hosts.js'),
    import('../setup/index.js'),
    import('../setup/setup-runner.js'),
    import('../ssh/run-dir.js'),
    import('../ui/progress.js'),
    import('../cluster/setup-marks.js'),
    import('./help-cache.js'),
  ]);
  const progress = createProgress({ json: options.json, verbosity: ctx.verbosity });
  const repo = await openRepo(ctx);
  const runDirOf = (state: ClusterState) => runDirs.runDirFor(repo.dir, state.name);
  const runSetup = createSetupRunner({
    storageDir: repo.dir,
    runDirOf,
    pidFileOf: (cluster) => repo.ansiblePidFile(cluster),
    playbooksDir,
    log: ctx.log,
    expectTasks: progress.expectTasks?.bind(progress),
  });

  return {
    repo,
    createProvider,
    waitForSsh: createSshWaiter(ctx.log),
    runSetup,
    setupMarks: createSetupMarks({
      digestContext: {
        herdVersion: packageVersion() ?? 'unknown',
        playbooksDir,
        env: process.env,
        cwd: process.cwd(),
      },
    }),
    writeInventory: (state, template) =>
      setup.writeInventory(
        state.paths.inventory,
        setup.renderInventory(state, template, {
          runDir: runDirOf(state),
          envSshArgs: process.env['ANSIBLE_SSH_ARGS'],
        }),
      ),
    closeConnections: (cluster) => runDirs.removeRunDir(runDirs.runDirFor(repo.dir, cluster)),
    writeKnownHosts: (state) =>
      knownHosts.writeKnownHosts(
        state.paths.knownHosts,
        state.nodes.flatMap((n) => (n.hostKey ? [{ name: n.name, hostKey: n.hostKey }] : [])),
      ),
    generateKeyPair: async (privatePath, cluster) => {
      await keys.generateKeyPair(privatePath, cluster);
    },
    stopOrphanedSetup: async (cluster) => {
      await setup.stopOrphanedAnsible(repo.ansiblePidFile(cluster));
    },
    log: ctx.log,
    progress,
    verbosity: ctx.verbosity,
    playbooksDir,
  };
}

/** Runs the system ssh or sftp client on a node of the cluster and returns its exit code. */
export async function runOpenSsh(
  tool: 'ssh' | 'sftp',
  state: ClusterState,
  nodeOrKind: string | undefined,
  extraArgs: readonly string[],
): Promise<number> {
  // child_process (with net and dgram) only for ssh/sftp: every other command starts without it.
  const [openssh, { runOpenSshClient }] = await Promise.all([
    import('../ssh/openssh.js'),
    import('../ssh/run-client.js'),
  ]);
  const node = openssh.chooseSshTarget(state, nodeOrKind);
  const target = openssh.openSshTargetFor(state, node);
  const argv =
    tool === 'ssh' ? openssh.buildSshArgs(target, extraArgs) : openssh.buildSftpArgs(target, extraArgs);
  return runOpenSshClient(tool, argv);
}
