/**
 * How `herd exec` shows output: pdsh-style `node: line` as lines arrive, dshbak-style groups of
 * nodes with identical output (`--group`), or one JSON object per node (`--json`); plus the failure
 * summary on stderr. Everything here is pure apart from the streams it is given.
 */
import { StringDecoder } from 'node:string_decoder';
import { compressHostlist } from '../cluster/hostlist.js';
import type { ExecResult } from '../ssh/exec.js';

/** Output kept per node (for `--group` and `--json`); beyond this, the rest is dropped and marked. */
export const MAX_KEPT_BYTES = 8 * 1024 * 1024;

/** Writes `node: line` for every complete line, per node and stream; partial lines wait for `flush`. */
export class LinePrefixer {
  private readonly partial = new Map<string, string>();
  private readonly decoders = new Decoders();
  constructor(private readonly out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }) {}

  write(node: string, stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    const key = `${stream}\0${node}`;
    const text = (this.partial.get(key) ?? '') + this.decoders.decode(key, chunk);
    const lines = text.split('\n');
    this.partial.set(key, lines.pop()!);
    if (lines.length > 0) this.out[stream].write(lines.map((l) => `${node}: ${l}\n`).join(''));
  }

  /** Writes what is left of a node's last lines (output that did not end in a newline). */
  flush(node: string): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${stream}\0${node}`;
      const rest = (this.partial.get(key) ?? '') + this.decoders.end(key);
      if (rest) this.out[stream].write(`${node}: ${rest}\n`);
      this.partial.delete(key);
    }
  }
}

/** One node's output as received: both streams apart, and interleaved as they came. */
export interface CollectedOutput {
  stdout: string;
  stderr: string;
  combined: string;
  truncated: boolean;
}

/** Keeps each node's output, up to MAX_KEPT_BYTES per node. */
export class OutputCollector {
  private readonly nodes = new Map<string, CollectedOutput & { bytes: number }>();
  private readonly decoders = new Decoders();

  add(node: string, stream: 'stdout' | 'stderr', chunk: Buffer | string, limit = MAX_KEPT_BYTES): void {
    const entry = this.entry(node);
    const room = limit - entry.bytes;
    if (room <= 0) {
      entry.truncated = true;
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.length > room) entry.truncated = true;
    const text = this.decoders.decode(`${stream}\0${node}`, bytes.subarray(0, room));
    entry.bytes += Math.min(bytes.length, room);
    entry[stream] += text;
    entry.combined += text;
  }

  get(node: string): CollectedOutput {
    const { bytes: _, ...rest } = this.entry(node);
    return rest;
  }

  private entry(node: string) {
    let entry = this.nodes.get(node);
    if (!entry) {
      entry = { stdout: '', stderr: '', combined: '', truncated: false, bytes: 0 };
      this.nodes.set(node, entry);
    }
    return entry;
  }
}

/** One UTF-8 decoder per node and stream, so a character split across chunks stays whole. */
class Decoders {
  private readonly decoders = new Map<string, StringDecoder>();

  decode(key: string, chunk: Buffer | string): string {
    if (typeof chunk === 'string') return chunk;
    let decoder = this.decoders.get(key);
    if (!decoder) {
      decoder = new StringDecoder('utf8');
      this.decoders.set(key, decoder);
    }
    return decoder.write(chunk);
  }

  end(key: string): string {
    const rest = this.decoders.get(key)?.end() ?? '';
    this.decoders.delete(key);
    return rest;
  }
}

/** A short description of how a node ended, or undefined for exit 0. */
export function describeOutcome(result: ExecResult): string | undefined {
  switch (result.status) {
    case 'exited':
      return result.exitCode === 0 ? undefined : `exit ${result.exitCode}`;
    case 'timeout':
      return 'timed out';
    case 'cancelled':
      return 'interrupted';
    case 'error':
      return result.error ?? 'failed';
  }
}

/** True when the node ran the command and it exited 0. */
export function succeeded(result: ExecResult): boolean {
  return result.status === 'exited' && result.exitCode === 0;
}

/** Nodes with identical output and outcome, for `--group`. */
export interface OutputGroup {
  nodes: string[];
  outcome: string | undefined;
  text: string;
}

/** Groups nodes whose output and outcome are the same, in the order of the first node of each group. */
export function groupOutputs(
  results: readonly ExecResult[],
  outputOf: (node: string) => CollectedOutput,
): OutputGroup[] {
  const groups = new Map<string, OutputGroup>();
  for (const result of results) {
    const outcome = describeOutcome(result);
    const text = outputOf(result.node).combined;
    const key = `${outcome ?? ''}\0${text}`;
    const group = groups.get(key);
    if (group) group.nodes.push(result.node);
    else groups.set(key, { nodes: [result.node], outcome, text });
  }
  return [...groups.values()];
}

/** dshbak -c style: a ruled header naming the nodes (and their outcome), then the output. */
export function renderGroups(groups: readonly OutputGroup[]): string[] {
  const lines: string[] = [];
  for (const group of groups) {
    const header = `${compressHostlist(group.nodes)}${group.outcome ? ` (${group.outcome})` : ''}`;
    const rule = '-'.repeat(Math.min(Math.max(header.length, 16), 100));
    lines.push(rule, header, rule);
    const text = group.text.endsWith('\n') ? group.text.slice(0, -1) : group.text;
    if (text !== '') lines.push(...text.split('\n'));
  }
  return lines;
}

/** The `--json` object of one node (one line of NDJSON). */
export function execJsonRecord(result: ExecResult, output: CollectedOutput): Record<string, unknown> {
  return {
    node: result.node,
    status: result.status,
    exitCode: result.exitCode,
    stdout: output.stdout,
    stderr: output.stderr,
    truncated: output.truncated,
    error: result.error ?? null,
    errorCode: result.errorCode ?? null,
    durationMs: result.durationMs,
  };
}

/** Why each failed node of an exec failed (empty when every node succeeded). */
export function execFailures(results: readonly ExecResult[]): { node: string; reason: string }[] {
  return results
    .filter((r) => !succeeded(r))
    .map((r) => ({
      node: r.node,
      reason: r.status === 'error' ? (r.error ?? 'failed') : describeOutcome(r)!,
    }));
}

/**
 * The failure summary for stderr (empty when nothing failed): one line per reason, naming its nodes
 * as a host list, e.g. `compute[001-002]: exit 1`.
 */
export function summarizeFailures(
  verb: string,
  failures: readonly { node: string; reason: string }[],
  total: number,
): string[] {
  if (failures.length === 0) return [];
  const byReason = new Map<string, string[]>();
  for (const { node, reason } of failures) {
    // Per-node errors start with the node's name and address; group them by what follows.
    const key = reason.replace(new RegExp(`^${escapeRegExp(node)} \\([^)]*\\): `), '');
    byReason.set(key, [...(byReason.get(key) ?? []), node]);
  }
  const lines = [`${verb} failed on ${failures.length} of ${total} node(s):`];
  for (const [reason, nodes] of byReason) lines.push(`  ${compressHostlist(nodes)}: ${reason}`);
  return lines;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** What `herd exec` prints as it goes and at the end, for one output mode. */
export interface ExecPrinter {
  onOutput(node: string, stream: 'stdout' | 'stderr', chunk: Buffer): void;
  onResult(result: ExecResult): void;
  /** Prints what waits for the end (groups) and the failure summary. */
  finish(results: readonly ExecResult[]): void;
}

/** The printer for `--json` (NDJSON as nodes finish), `--group` (dshbak at the end) or prefixed lines. */
export function createExecPrinter(
  mode: 'lines' | 'group' | 'json',
  out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
): ExecPrinter {
  const collector = new OutputCollector();
  const prefixer = new LinePrefixer(out);
  return {
    onOutput(node, stream, chunk) {
      if (mode === 'lines') prefixer.write(node, stream, chunk);
      else collector.add(node, stream, chunk);
    },
    onResult(result) {
      if (mode === 'lines') prefixer.flush(result.node);
      if (mode === 'json')
        out.stdout.write(`${JSON.stringify(execJsonRecord(result, collector.get(result.node)))}\n`);
    },
    finish(results) {
      if (mode === 'group') {
        const lines = renderGroups(groupOutputs(results, (node) => collector.get(node)));
        if (lines.length > 0) out.stdout.write(`${lines.join('\n')}\n`);
      }
      const summary = summarizeFailures('exec', execFailures(results), results.length);
      if (summary.length > 0) out.stderr.write(`${summary.join('\n')}\n`);
    },
  };
}
