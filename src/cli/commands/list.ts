import type { ArgumentsCamelCase } from 'yargs';
import type { ClusterRefresh } from '../../cluster/refresh.js';
import { ExitCode } from '../../errors.js';
import type { LiveSettings } from '../../state/live-settings.js';
import type { ClusterState } from '../../state/types.js';
import { listRow, refreshWarning, renderClusterList } from '../../ui/cluster-list.js';
import { printJson, printLines } from '../../ui/output.js';
import { type CliContext, contextFrom, type GlobalArgs } from '../context.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  update?: boolean;
  json?: boolean;
}

/** `herd list [-u]`: every cluster in the storage dir; `-u` asks each cluster's cloud for node states first. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const { clusters, errors } = await repo.list();
  const refreshed = args.update ? await refreshAll(ctx, clusters, args.json === true) : undefined;
  const rows = refreshed
    ? refreshed.flatMap((r) => (r.outcome === 'gone' ? [] : [listRow(r.state, r)]))
    : clusters.map((c) => listRow(c));
  const failed = (refreshed ?? []).flatMap((r) => (r.outcome === 'failed' ? [r] : []));
  if (args.json) {
    printJson({
      clusters: rows,
      errors: [
        ...errors.map((e) => ({ code: e.code, message: e.message })),
        ...failed.map((r) => ({ code: r.error.code, message: r.error.message, cluster: r.name })),
      ],
    });
  } else if (rows.length === 0 && errors.length === 0) {
    printLines([`No clusters in ${repo.dir}.`, 'Start one with: herd start slurm']);
  } else {
    printLines(renderClusterList(rows));
  }
  for (const e of errors) ctx.log.warn(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  if (errors.length > 0 || failed.length > 0) process.exitCode = ExitCode.Failure;
}

/** Refreshes every cluster from its cloud (cloud SDKs load only here); warns for each that failed. */
async function refreshAll(
  ctx: CliContext,
  clusters: readonly ClusterState[],
  json: boolean,
): Promise<ClusterRefresh[]> {
  const [{ refreshClusters }, wiring] = await Promise.all([
    import('../../cluster/refresh.js'),
    import('../wiring.js'),
  ]);
  const [deps, readLive] = await Promise.all([
    wiring.buildDeps(ctx, { json }),
    wiring.liveSettingsReader(ctx),
  ]);
  const live = new Map<string, LiveSettings>();
  for (const state of clusters) {
    const settings = readLive(state);
    live.set(state.name, settings);
    for (const warning of settings.warnings) ctx.log.warn(warning);
    for (const note of settings.notes) ctx.log.debug(note);
  }
  const results = await refreshClusters({
    deps,
    clusters,
    cloudOf: (state) => live.get(state.name)?.cloud ?? state.template.cloud,
  });
  for (const r of results) {
    if (r.outcome === 'failed') ctx.log.warn(refreshWarning(r, live.get(r.name)?.notes ?? []));
  }
  return results;
}
