/** What a paused cluster allows: commands that need running nodes refuse one with the way out. */
import { ExitCode, StateError } from '../errors.js';
import type { ClusterState } from '../state/types.js';

/**
 * Throws StateError `ClusterPaused` (exit code 3) when the cluster is paused, pausing or resuming:
 * its nodes are (or may be) powered off, so ssh, exec, setup and resize would only time out.
 */
export function assertNotPaused(state: Pick<ClusterState, 'name' | 'pause'>): void {
  const pause = state.pause;
  if (!pause) return;
  const how =
    pause.phase === 'paused'
      ? pause.by === 'idle'
        ? 'stopped itself after being idle'
        : 'paused'
      : pause.phase === 'pausing'
        ? 'being paused (a pause was cut short)'
        : 'being resumed (a resume was cut short)';
  throw new StateError(
    'ClusterPaused',
    `Cluster "${state.name}" is ${how}: paused: run herd resume ${state.name}`,
    {
      exitCode: ExitCode.Paused,
      hint: `"herd resume ${state.name}" starts its nodes again; "herd stop ${state.name}" removes the cluster.`,
    },
  );
}

/** How lists show a paused cluster: `paused`, `paused (idle)`, `pausing`, `resuming` ('' when not paused). */
export function pauseLabel(state: { pause?: ClusterState['pause'] | null }): string {
  const pause = state.pause;
  if (!pause) return '';
  if (pause.phase !== 'paused') return pause.phase;
  return pause.by === 'idle' ? 'paused (idle)' : 'paused';
}
