import { describe, expect, it } from 'vitest';
import { parseNodeCounts } from '../../src/cli/node-counts.js';
import { kindNameProblem } from '../../src/config/kinds.js';
import { UsageError } from '../../src/errors.js';

describe('parseNodeCounts', () => {
  it.each([
    ['10:compute', [{ kind: 'compute', count: 10 }]],
    [
      '1:frontend,4:compute',
      [
        { kind: 'frontend', count: 1 },
        { kind: 'compute', count: 4 },
      ],
    ],
    [
      ' 2:hadoop-data , 3:hadoop-task ',
      [
        { kind: 'hadoop-data', count: 2 },
        { kind: 'hadoop-task', count: 3 },
      ],
    ],
    ['0:compute', [{ kind: 'compute', count: 0 }]],
    // A kind may start with a digit, as in the config (2gpu_nodes=1).
    ['2:2gpu', [{ kind: '2gpu', count: 2 }]],
    ['10000:compute', [{ kind: 'compute', count: 10000 }]],
  ])('parses %j', (value, expected) => {
    expect(parseNodeCounts(value, '--nodes')).toEqual(expected);
  });

  it.each([
    ['3', /"3" has no kind/],
    ['compute', /"compute" has no count/],
    ['', /empty value/],
    ['x:compute', /not of the form N:KIND/],
    ['-1:compute', /not of the form N:KIND/],
    ['2:compute1', /must not end in a digit|not end in a digit/],
    ['2:comp_ute', /letters, digits and "-"/],
    ['1:compute,2:compute', /given twice/],
    ['99999:compute', /too many nodes/],
    ['10001:compute', /too many nodes \(at most 10000\)/],
    ['1:global', /"global" is reserved/],
    [`1:${'k'.repeat(41)}`, /longer than 40 characters/],
    ['2:', /not of the form/],
  ])('rejects %j as a usage error', (value, message) => {
    let caught: unknown;
    try {
      parseNodeCounts(value, '--nodes');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(2);
    expect((caught as UsageError).message).toMatch(message);
    expect((caught as UsageError).message).toContain('--nodes');
  });
});

describe('kind names: one rule for the config and the flags', () => {
  it.each([
    'compute',
    '2gpu',
    'a',
    'hadoop-data',
    'x-',
    'compute1',
    '-x',
    'comp_ute',
    'global',
    '',
    'k'.repeat(41),
  ])('%j is accepted by --nodes exactly when <kind>_nodes accepts it', (kind) => {
    const configSays = kindNameProblem(kind);
    let flagSays: unknown;
    try {
      parseNodeCounts(`1:${kind}`, '--nodes');
    } catch (error) {
      flagSays = error;
    }
    expect(flagSays === undefined, `${kind}: config says ${configSays}`).toBe(configSays === undefined);
  });
});
