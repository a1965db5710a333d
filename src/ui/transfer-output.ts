/**
 * What `herd put` and `herd get` print: on a terminal, one status line on stderr that follows the
 * bytes copied; at the end, one line per outcome on stdout (or one JSON object per node with
 * `--json`) and the failures on stderr.
 */
import { compressHostlist } from '../cluster/hostlist.js';
import type { TransferResult } from '../ssh/transfer.js';
import { summarizeFailures } from './exec-output.js';

/** `1.5 MB`, `512 B`: decimal units, as ls -h --si and most transfer tools print. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The status line: nodes done, bytes and percentage (when every node's total is known). */
export function renderTransferStatus(
  verb: string,
  nodes: ReadonlyMap<string, { done: number; total: number | undefined; finished: boolean }>,
): string {
  const all = [...nodes.values()];
  const finished = all.filter((n) => n.finished).length;
  const done = all.reduce((s, n) => s + n.done, 0);
  const known = all.every((n) => n.total !== undefined);
  const total = all.reduce((s, n) => s + (n.total ?? 0), 0);
  const bytes =
    known && total > 0
      ? `${formatBytes(done)} of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)`
      : formatBytes(done);
  return `${verb}: ${finished}/${all.length} node(s) done, ${bytes}`;
}

/** Printer of one put or get run. */
export interface TransferPrinter {
  onSelected(nodes: readonly string[]): void;
  onProgress(node: string, done: number, total: number): void;
  onResult(result: TransferResult): void;
  finish(results: readonly TransferResult[]): void;
}

/** The JSON object of one node (one NDJSON line). */
export function transferJsonRecord(result: TransferResult): Record<string, unknown> {
  return {
    node: result.node,
    status: result.status,
    files: result.files,
    bytes: result.bytes,
    destination: result.destination ?? null,
    error: result.error ?? null,
    errorCode: result.errorCode ?? null,
    durationMs: result.durationMs,
  };
}

/** Text lines for the nodes that finished: grouped by what they got, e.g. `compute[001-004]: 3 file(s), 1.2 kB -> /tmp/x`. */
export function renderTransferDone(verb: 'put' | 'get', results: readonly TransferResult[]): string[] {
  const groups = new Map<string, string[]>();
  for (const r of results.filter((r) => r.status === 'done')) {
    const where = verb === 'get' ? `into ${r.destination}/` : `to ${r.destination}`;
    const key = `${r.files} file(s), ${formatBytes(r.bytes)} ${verb === 'get' ? where.replace(r.node, '<node>') : where}`;
    groups.set(key, [...(groups.get(key) ?? []), r.node]);
  }
  return [...groups].map(([what, nodes]) => `${compressHostlist(nodes)}: ${what}`);
}

/** Creates the printer; `tty` decides whether the status line is drawn. */
export function createTransferPrinter(
  verb: 'put' | 'get',
  options: { json: boolean; tty: boolean },
  out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): TransferPrinter {
  const nodes = new Map<string, { done: number; total: number | undefined; finished: boolean }>();
  let last = 0;
  let drawn = false;
  const draw = (force = false) => {
    if (!options.tty || options.json) return;
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    out.stderr.write(`\r\x1b[2K${renderTransferStatus(verb, nodes)}`);
    drawn = true;
  };
  return {
    onSelected(names) {
      for (const name of names) nodes.set(name, { done: 0, total: undefined, finished: false });
      draw(true);
    },
    onProgress(node, done, total) {
      const entry = nodes.get(node);
      if (!entry) return;
      entry.done = done;
      entry.total = total;
      draw();
    },
    onResult(result) {
      const entry = nodes.get(result.node);
      if (entry) {
        entry.finished = true;
        entry.total ??= entry.done;
      }
      if (options.json) out.stdout.write(`${JSON.stringify(transferJsonRecord(result))}\n`);
      draw(true);
    },
    finish(results) {
      if (drawn) out.stderr.write('\r\x1b[2K');
      if (!options.json) {
        const lines = renderTransferDone(verb, results);
        if (lines.length > 0) out.stdout.write(`${lines.join('\n')}\n`);
      }
      const failures = results
        .filter((r) => r.status !== 'done')
        .map((r) => ({ node: r.node, reason: r.error ?? r.status }));
      const summary = summarizeFailures(verb, failures, results.length);
      if (summary.length > 0) out.stderr.write(`${summary.join('\n')}\n`);
    },
  };
}
