import { describe, expect, it } from 'vitest';
import { parseNodeCounts } from '../../src/cli/node-counts.js';
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
    ['2:comp_ute', /letters, digits and hyphens/],
    ['1:compute,2:compute', /given twice/],
    ['99999:compute', /too many nodes/],
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
