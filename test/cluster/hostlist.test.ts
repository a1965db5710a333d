import { describe, expect, it } from 'vitest';
import {
  compileNamePattern,
  compressHostlist,
  hasRange,
  splitPatternList,
} from '../../src/cluster/hostlist.js';

const NAMES = ['frontend001', 'compute001', 'compute002', 'compute003', 'compute010', 'compute011', 'gpu1'];

describe('compileNamePattern', () => {
  it.each<[string, string[]]>([
    ['compute[001-003]', ['compute001', 'compute002', 'compute003']],
    ['compute[1-3]', ['compute001', 'compute002', 'compute003']],
    ['compute[001,010-011]', ['compute001', 'compute010', 'compute011']],
    ['compute0*', ['compute001', 'compute002', 'compute003', 'compute010', 'compute011']],
    ['compute00?', ['compute001', 'compute002', 'compute003']],
    ['*[1]', ['frontend001', 'compute001', 'compute011', 'gpu1']],
    ['[fg]*', ['frontend001', 'gpu1']],
    ['compute01[0-1]', ['compute010', 'compute011']],
    ['frontend001', ['frontend001']],
    ['gpu[1]', ['gpu1']],
    ['gpu[01]', []],
    ['compute[0001-0003]', []],
    ['compute', []],
  ])('%s', (pattern, expected) => {
    const test = compileNamePattern(pattern);
    expect(NAMES.filter(test)).toEqual(expected);
  });

  it('refuses a range that runs backwards, naming it', () => {
    expect(() => compileNamePattern('compute[9-1]')).toThrow(/9-1 runs backwards; write 1-9/);
  });

  it('tells ranges from glob classes', () => {
    expect(hasRange('compute[1-3]')).toBe(true);
    expect(hasRange('compute[ab]')).toBe(false);
    expect(hasRange('compute*')).toBe(false);
  });
});

describe('splitPatternList', () => {
  it('splits on commas outside brackets', () => {
    expect(splitPatternList('frontend001, compute[1,3-4],state=ready,')).toEqual([
      'frontend001',
      'compute[1,3-4]',
      'state=ready',
    ]);
  });
});

describe('compressHostlist', () => {
  it.each<[string[], string]>([
    [['compute001'], 'compute001'],
    [['compute001', 'compute002', 'compute003'], 'compute[001-003]'],
    [['compute003', 'compute001', 'compute002', 'compute005'], 'compute[001-003,005]'],
    [['frontend001', 'compute001', 'compute002'], 'frontend001,compute[001-002]'],
    [['gpu9', 'gpu10', 'gpu11'], 'gpu9,gpu[10-11]'],
    [['login', 'compute001', 'compute001'], 'login,compute001'],
  ])('%j -> %s', (names, expected) => {
    expect(compressHostlist(names)).toBe(expected);
  });

  it('round-trips through compileNamePattern', () => {
    const names = ['compute001', 'compute002', 'compute004', 'compute005', 'compute009'];
    const list = compressHostlist(names);
    const tests = splitPatternList(list).map(compileNamePattern);
    expect(
      NAMES.concat(['compute004', 'compute005', 'compute009']).filter((n) => tests.some((t) => t(n))),
    ).toEqual(['compute001', 'compute002', 'compute004', 'compute005', 'compute009']);
  });
});
