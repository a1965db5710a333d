import { describe, expect, it } from 'vitest';
import { type NodeSelector, selectNodes } from '../../src/cluster/select.js';
import { UsageError } from '../../src/errors.js';
import { clusterState, node } from '../ssh/fixtures.js';

const state = clusterState([
  node('frontend001', '10.77.0.2', { flavor: 'big' }),
  node('compute001', '10.77.0.3', { flavor: 'small', instanceId: 'i-1' }),
  node('compute002', '10.77.0.4', { flavor: 'small', publicIps: ['203.0.113.4'] }),
  node('compute003', undefined),
  node('compute010', '10.78.0.9', { state: 'running' }),
]);

function pick(selector: Partial<NodeSelector>): string[] {
  return selectNodes(state, { words: [], kinds: [], all: false, ...selector }).map((n) => n.name);
}

describe('selectNodes', () => {
  it.each<[Partial<NodeSelector>, string[]]>([
    [{}, ['frontend001', 'compute001', 'compute002', 'compute003', 'compute010']],
    [{ all: true }, ['frontend001', 'compute001', 'compute002', 'compute003', 'compute010']],
    [{ words: ['compute[001-002]'] }, ['compute001', 'compute002']],
    [{ words: ['compute0*'] }, ['compute001', 'compute002', 'compute003', 'compute010']],
    [{ words: ['compute010,frontend001'] }, ['frontend001', 'compute010']],
    [{ words: ['compute010', 'frontend001'] }, ['frontend001', 'compute010']],
    [{ words: ['compute'] }, ['compute001', 'compute002', 'compute003', 'compute010']],
    [{ kinds: ['frontend'] }, ['frontend001']],
    [{ kinds: ['compute'], words: ['state=ready'] }, ['compute001', 'compute002']],
    [{ words: ['ip=10.77.0.*'] }, ['frontend001', 'compute001', 'compute002']],
    [{ words: ['ip=203.0.113.4'] }, ['compute002']],
    [{ words: ['public_ip=*'] }, ['compute002']],
    [{ words: ['state!=ready'] }, ['compute003', 'compute010']],
    [{ words: ['flavor=small', 'compute00[2-3]'] }, ['compute002']],
    [{ words: ['instance=i-*'] }, ['compute001']],
    [{ words: ['kind=front*'] }, ['frontend001']],
  ])('%j', (selector, expected) => {
    expect(pick(selector)).toEqual(expected);
  });

  it.each<[Partial<NodeSelector>, RegExp]>([
    [{ words: ['compute[004-005]'] }, /"compute\[004-005\]" matches no node or kind of cluster "mycluster"/],
    [{ words: ['compte*', 'gpu'] }, /"compte\*", "gpu" match no node/],
    [
      { kinds: ['gpu'] },
      /-k\/--kind gpu: cluster "mycluster" has no such kind; its kinds are: frontend, compute/,
    ],
    [{ words: ['color=red'] }, /unknown fact "color"; filters can test name, kind, state, ip/],
    [{ words: ['state='] }, /has no value/],
    [{ all: true, kinds: ['compute'] }, /--all selects every node/],
    [
      { kinds: ['frontend'], words: ['state=failed'] },
      /No node of cluster "mycluster" matches -k frontend state=failed/,
    ],
    [{ words: ['compute[3-1]'] }, /runs backwards/],
  ])('refuses %j', (selector, message) => {
    let error: unknown;
    try {
      pick(selector);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it('lists the nodes in the hint when nothing matches', () => {
    try {
      pick({ words: ['nope'] });
    } catch (e) {
      expect((e as UsageError).hint).toContain('compute001 (ready, 10.77.0.3)');
      expect((e as UsageError).hint).toContain('compute003 (failed)');
    }
    expect.assertions(2);
  });
});
