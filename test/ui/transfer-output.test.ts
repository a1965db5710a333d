import { describe, expect, it } from 'vitest';
import type { TransferResult } from '../../src/ssh/transfer.js';
import {
  createTransferPrinter,
  formatBytes,
  renderTransferDone,
  renderTransferStatus,
} from '../../src/ui/transfer-output.js';
import { captureStream } from '../helpers/streams.js';

const done = (node: string, destination: string, bytes = 1200): TransferResult => ({
  node,
  status: 'done',
  files: 2,
  bytes,
  destination,
  durationMs: 5,
});

describe('transfer output', () => {
  it('formats sizes in decimal units', () => {
    expect([0, 999, 1200, 300_000, 12_345_678, 2e12].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.2 kB',
      '300 kB',
      '12 MB',
      '2.0 TB',
    ]);
  });

  it('status line: nodes done, bytes, and a percentage once every total is known', () => {
    const nodes = new Map([
      ['a', { done: 500, total: 1000, finished: true }],
      ['b', { done: 250, total: 1000, finished: false }],
    ]);
    expect(renderTransferStatus('put', nodes)).toBe('put: 1/2 node(s) done, 750 B of 2.0 kB (37%)');
    nodes.set('c', { done: 0, total: undefined as unknown as number, finished: false });
    expect(renderTransferStatus('get', nodes)).toBe('get: 1/3 node(s) done, 750 B');
  });

  it('groups finished nodes by what they got; get names each node its own directory', () => {
    expect(
      renderTransferDone('put', [done('c1', '/srv'), done('c2', '/srv'), done('f1', '/srv', 5)]),
    ).toEqual(['c[1-2]: 2 file(s), 1.2 kB to /srv', 'f1: 2 file(s), 5 B to /srv']);
    expect(renderTransferDone('get', [done('c1', 'out/c1'), done('c2', 'out/c2')])).toEqual([
      'c[1-2]: 2 file(s), 1.2 kB into out/<node>/',
    ]);
  });

  it('prints JSON lines as nodes finish, and failures on stderr', () => {
    const out = captureStream();
    const err = captureStream();
    const printer = createTransferPrinter(
      'get',
      { json: true, tty: false },
      { stdout: out.stream, stderr: err.stream },
    );
    printer.onSelected(['a', 'b']);
    const failed: TransferResult = {
      node: 'b',
      status: 'error',
      files: 0,
      bytes: 0,
      error: '/x does not exist there.',
      durationMs: 1,
    };
    printer.onResult(done('a', 'out/a'));
    printer.onResult(failed);
    printer.finish([done('a', 'out/a'), failed]);
    expect(
      out
        .text()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      expect.objectContaining({ node: 'a', status: 'done', files: 2, destination: 'out/a', error: null }),
      expect.objectContaining({
        node: 'b',
        status: 'error',
        destination: null,
        error: '/x does not exist there.',
      }),
    ]);
    expect(err.text()).toBe('get failed on 1 of 2 node(s):\n  b: /x does not exist there.\n');
  });
});
