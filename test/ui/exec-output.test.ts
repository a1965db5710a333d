import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../../src/ssh/exec.js';
import {
  createExecPrinter,
  execFailures,
  groupOutputs,
  LinePrefixer,
  OutputCollector,
  renderGroups,
  summarizeFailures,
} from '../../src/ui/exec-output.js';
import { captureStream } from '../helpers/streams.js';

const ok = (node: string): ExecResult => ({ node, status: 'exited', exitCode: 0, durationMs: 1 });
const exit = (node: string, code: number): ExecResult => ({
  node,
  status: 'exited',
  exitCode: code,
  durationMs: 1,
});

describe('LinePrefixer', () => {
  it('prefixes complete lines as they arrive, per node and stream, and flushes a last partial line', () => {
    const out = captureStream();
    const err = captureStream();
    const p = new LinePrefixer({ stdout: out.stream, stderr: err.stream });
    p.write('a', 'stdout', Buffer.from('one\ntw'));
    p.write('b', 'stdout', Buffer.from('x\n'));
    p.write('a', 'stderr', Buffer.from('warn\n'));
    p.write('a', 'stdout', Buffer.from('o\nthree'));
    expect(out.text()).toBe('a: one\nb: x\na: two\n');
    p.flush('a');
    expect(out.text()).toBe('a: one\nb: x\na: two\na: three\n');
    expect(err.text()).toBe('a: warn\n');
  });

  it('keeps a UTF-8 character split across chunks whole', () => {
    const out = captureStream();
    const p = new LinePrefixer({ stdout: out.stream, stderr: captureStream().stream });
    const bytes = Buffer.from('héllo\n');
    p.write('a', 'stdout', bytes.subarray(0, 2));
    p.write('a', 'stdout', bytes.subarray(2));
    expect(out.text()).toBe('a: héllo\n');
  });
});

describe('OutputCollector', () => {
  it('keeps streams apart and interleaved, and marks output cut at the limit', () => {
    const c = new OutputCollector();
    c.add('a', 'stdout', 'out1\n');
    c.add('a', 'stderr', 'err\n');
    c.add('a', 'stdout', 'out2\n');
    expect(c.get('a')).toEqual({
      stdout: 'out1\nout2\n',
      stderr: 'err\n',
      combined: 'out1\nerr\nout2\n',
      truncated: false,
    });
    c.add('b', 'stdout', '123456', 4);
    c.add('b', 'stdout', '7', 4);
    expect(c.get('b')).toMatchObject({ stdout: '1234', truncated: true });
  });
});

describe('--group', () => {
  it('merges nodes with identical output and outcome, dshbak style', () => {
    const c = new OutputCollector();
    for (const n of ['compute001', 'compute002', 'compute004']) c.add(n, 'stdout', 'active\n');
    c.add('compute003', 'stdout', 'inactive\n');
    c.add('frontend001', 'stdout', 'active\n');
    const results = [
      ok('frontend001'),
      ok('compute001'),
      ok('compute002'),
      exit('compute003', 3),
      ok('compute004'),
    ];
    const groups = groupOutputs(results, (n) => c.get(n));
    expect(groups.map((g) => g.nodes)).toEqual([
      ['frontend001', 'compute001', 'compute002', 'compute004'],
      ['compute003'],
    ]);
    const rule32 = '-'.repeat(32);
    const rule19 = '-'.repeat(19);
    expect(renderGroups(groups)).toEqual([
      rule32,
      'frontend001,compute[001-002,004]',
      rule32,
      'active',
      rule19,
      'compute003 (exit 3)',
      rule19,
      'inactive',
    ]);
  });

  it('keeps apart nodes with the same output but another exit code', () => {
    const c = new OutputCollector();
    const groups = groupOutputs([ok('a1'), exit('a2', 1)], (n) => c.get(n));
    expect(groups).toHaveLength(2);
  });
});

describe('failure summary', () => {
  it('names failed nodes by reason as host lists', () => {
    const results: ExecResult[] = [
      ok('compute001'),
      exit('compute002', 1),
      exit('compute003', 1),
      { node: 'compute004', status: 'timeout', exitCode: 143, durationMs: 1 },
      {
        node: 'compute005',
        status: 'error',
        exitCode: null,
        error: 'compute005 (10.0.0.5): connection refused on port 22',
        durationMs: 1,
      },
      {
        node: 'compute006',
        status: 'error',
        exitCode: null,
        error: 'compute006 (10.0.0.6): connection refused on port 22',
        durationMs: 1,
      },
    ];
    expect(summarizeFailures('exec', execFailures(results), results.length)).toEqual([
      'exec failed on 5 of 6 node(s):',
      '  compute[002-003]: exit 1',
      '  compute004: timed out',
      '  compute[005-006]: connection refused on port 22',
    ]);
    expect(summarizeFailures('exec', execFailures([ok('a')]), 1)).toEqual([]);
  });
});

describe('createExecPrinter', () => {
  it('--json: one object per node as it finishes, with both streams', () => {
    const out = captureStream();
    const err = captureStream();
    const printer = createExecPrinter('json', { stdout: out.stream, stderr: err.stream });
    printer.onOutput('a', 'stdout', Buffer.from('hi\n'));
    printer.onOutput('a', 'stderr', Buffer.from('oops\n'));
    printer.onResult(exit('a', 2));
    printer.onResult(ok('b'));
    printer.finish([exit('a', 2), ok('b')]);
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        node: 'a',
        status: 'exited',
        exitCode: 2,
        stdout: 'hi\n',
        stderr: 'oops\n',
        error: null,
      }),
      expect.objectContaining({ node: 'b', exitCode: 0, stdout: '', stderr: '' }),
    ]);
    expect(err.text()).toBe('exec failed on 1 of 2 node(s):\n  a: exit 2\n');
  });
});
