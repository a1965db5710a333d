/**
 * One `N:KIND` item: how many nodes of a kind to start, add or remove. The CLI parses it from `--nodes`,
 * `--add` and `--remove` (`src/cli/node-counts.ts`); orchestration and templates use it without knowing
 * where it came from.
 */
export interface NodeCount {
  kind: string;
  count: number;
}
