/** What `herd list` prints: one block per cluster (or its JSON row), and what `-u` could not update. */
import { pauseLabel } from '../cluster/paused.js';
import type { ClusterRefresh } from '../cluster/refresh.js';
import type { ClusterState } from '../state/types.js';
import { countsByKind } from './cluster-summary.js';

/** How `-u` went for one cluster (JSON `refresh`; null without `-u`). */
export interface RefreshNote {
  outcome: 'updated' | 'locked' | 'failed';
  /** Why it was not updated (locked, failed). */
  code?: string;
  message?: string;
  hint?: string;
}

/** One cluster as `herd list --json` prints it. */
export interface ListRow {
  name: string;
  id: string | null;
  template: string;
  cloud: string;
  provider: string;
  nodes: Record<string, number>;
  setupCompletedAt: string | null;
  paused: ClusterState['pause'] | null;
  idleStopMinutes: number | null;
  refresh: RefreshNote | null;
  /** What to do to learn more (without `-u`, for a cluster that may have stopped itself). */
  hint: string | null;
}

/** The hint for a cluster with idle auto-stop that `list` did not ask the cloud about. */
export function idleHint(state: ClusterState): string | null {
  if (state.pause || !state.template.cluster.idleStopMinutes) return null;
  return `idle_stop_minutes=${state.template.cluster.idleStopMinutes}: herd list -u shows whether it stopped itself`;
}

/** The JSON row of a cluster; `refresh` is what `-u` did (undefined without `-u`). */
export function listRow(state: ClusterState, refresh?: ClusterRefresh): ListRow {
  return {
    name: state.name,
    id: state.id ?? null,
    template: state.templateName,
    cloud: state.template.cloud.name,
    provider: state.template.cloud.provider,
    nodes: Object.fromEntries(countsByKind(state).map(({ kind, count }) => [kind, count])),
    setupCompletedAt: state.setupCompletedAt ?? null,
    paused: state.pause ?? null,
    idleStopMinutes: state.template.cluster.idleStopMinutes ?? null,
    refresh: refresh ? refreshNote(refresh) : null,
    hint: refresh ? null : idleHint(state),
  };
}

function refreshNote(refresh: ClusterRefresh): RefreshNote {
  if (refresh.outcome === 'updated' || refresh.outcome === 'gone') return { outcome: 'updated' };
  const { code, message, hint } = refresh.error;
  return { outcome: refresh.outcome, code, message, ...(hint ? { hint } : {}) };
}

/** The text blocks of `herd list`, one per cluster. */
export function renderClusterList(rows: readonly ListRow[]): string[] {
  const lines: string[] = [];
  for (const r of rows) {
    lines.push(r.name, '-'.repeat(r.name.length));
    lines.push(`name:     ${r.name}`, `template: ${r.template}`, `cloud:    ${r.cloud} (${r.provider})`);
    if (r.id) lines.push(`id:       ${r.id}`);
    if (r.paused) lines.push(`status:   ${pauseLabel({ pause: r.paused })} since ${r.paused.since}`);
    for (const [kind, count] of Object.entries(r.nodes)) lines.push(`- ${kind} nodes: ${count}`);
    lines.push(`setup:    ${r.setupCompletedAt ? `done ${r.setupCompletedAt}` : 'not done'}`);
    if (r.hint) lines.push(`note:     ${r.hint}`);
    if (r.refresh?.outcome === 'locked') {
      lines.push(`note:     not updated, as last saved: ${r.refresh.message ?? 'locked'}`);
    } else if (r.refresh?.outcome === 'failed') {
      lines.push('note:     not updated, as last saved: its cloud could not be asked (see the warning)');
    }
    lines.push('');
  }
  return lines;
}

/**
 * The one-line warning for a cluster whose cloud could not be asked: which cluster, what failed,
 * the fix (the error's hint, else how to check the cloud section), and `notes` on where its cloud
 * settings came from (a cloud section gone from the configuration, say).
 */
export function refreshWarning(
  refresh: Extract<ClusterRefresh, { outcome: 'failed' }>,
  notes: readonly string[],
): string {
  const cloud = refresh.state.template.cloud;
  const fix =
    refresh.error.hint ??
    `check [cloud/${cloud.name}] and its credentials with "herd check ${cloud.name}", then run "herd list -u" again`;
  const context = notes.length > 0 ? ` (${notes.map((n) => n.replace(/\.$/, '')).join('; ')})` : '';
  const what = refresh.error.message.replace(/\.?$/, '');
  return `Cluster "${refresh.name}" not updated: asking cloud "${cloud.name}" (${cloud.provider}) failed: ${what}${context}. Fix: ${fix}`;
}
