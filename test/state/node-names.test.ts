import { describe, expect, it } from 'vitest';
import { allocateNodeNames, nodeNumber } from '../../src/state/index.js';

describe('allocateNodeNames', () => {
  it.each([
    { existing: [], kind: 'compute', count: 3, expected: ['compute001', 'compute002', 'compute003'] },
    { existing: [], kind: 'compute', count: 0, expected: [] },
    {
      existing: ['compute001', 'compute002'],
      kind: 'compute',
      count: 2,
      expected: ['compute003', 'compute004'],
    },
    // Freed numbers are reused, lowest first.
    {
      existing: ['compute001', 'compute003', 'compute005'],
      kind: 'compute',
      count: 3,
      expected: ['compute002', 'compute004', 'compute006'],
    },
    // Other kinds do not take numbers, even when one kind's name starts with another's.
    {
      existing: ['frontend001', 'computegpu001', 'compute-x001'],
      kind: 'compute',
      count: 1,
      expected: ['compute001'],
    },
    { existing: ['frontend001'], kind: 'frontend', count: 1, expected: ['frontend002'] },
    // A name with fewer digits still occupies its number.
    { existing: ['compute01'], kind: 'compute', count: 1, expected: ['compute002'] },
    { existing: ['compute999'], kind: 'compute', count: 1, expected: ['compute001'] },
  ])('$existing + $count $kind -> $expected', ({ existing, kind, count, expected }) => {
    expect(allocateNodeNames(existing, kind, count)).toEqual(expected);
  });

  it('goes past 999 with more digits', () => {
    const existing = Array.from({ length: 999 }, (_, i) => `n${String(i + 1).padStart(3, '0')}`);
    expect(allocateNodeNames(existing, 'n', 2)).toEqual(['n1000', 'n1001']);
  });
});

describe('nodeNumber', () => {
  it.each([
    ['compute001', 1],
    ['compute012', 12],
    ['frontend1000', 1000],
    ['gpu-node007', 7],
    ['compute', undefined],
  ])('%s -> %s', (name, expected) => {
    expect(nodeNumber(name)).toBe(expected);
  });
});
