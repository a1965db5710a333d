import { describe, expect, it } from 'vitest';
import { decodeNodeNames, encodeNodeNames, nodeNameOf, tagMap } from '../../../src/providers/ec2/tags.js';

const names = (kind: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${kind}${String(from + i).padStart(3, '0')}`);

describe('node-name list tags', () => {
  it.each([
    [['compute001'], 'compute001'],
    [['compute001', 'compute002', 'compute003'], 'compute001..003'],
    [['compute001', 'compute003', 'compute004'], 'compute001 compute003..004'],
    [['compute998', 'compute999', 'compute1000'], 'compute998..1000'],
    [['a-b001', 'frontend', 'x010', 'x011'], 'a-b001 frontend x010..011'],
  ])('encodes %j as "%s" and decodes it back in order', (list, value) => {
    const tags = encodeNodeNames(list);
    expect(tags).toEqual([{ Key: 'herd:nodes', Value: value }]);
    expect(decodeNodeNames(tagMap(tags))).toEqual(list);
  });

  it('splits a long list over herd:nodes, herd:nodes:2, ... of at most 256 characters each', () => {
    // Every other number: no ranges, 600 names of 11 characters.
    const list = names('compute', 1, 1200).filter((_, i) => i % 2 === 0);
    const tags = encodeNodeNames(list);
    expect(tags.length).toBeGreaterThan(20);
    expect(tags.map((t) => t.Key).slice(0, 3)).toEqual(['herd:nodes', 'herd:nodes:2', 'herd:nodes:3']);
    for (const t of tags) expect(t.Value!.length).toBeLessThanOrEqual(256);
    expect(decodeNodeNames(tagMap(tags))).toEqual(list);
  });

  it('keeps 100 consecutive nodes in one short tag', () => {
    const tags = encodeNodeNames(names('compute', 1, 100));
    expect(tags).toEqual([{ Key: 'herd:nodes', Value: 'compute001..100' }]);
  });

  it('refuses a list that needs more tags than a resource may carry', () => {
    const list = names('averyveryverylongkindname', 1, 4000).filter((_, i) => i % 2 === 0);
    expect(() => encodeNodeNames(list)).toThrow(/do not fit/);
  });

  it('names an instance by herd:node, else by its launch index in the batch list', () => {
    const batch = tagMap(encodeNodeNames(['compute004', 'compute005', 'compute009']));
    expect(nodeNameOf(batch, 0)).toBe('compute004');
    expect(nodeNameOf(batch, 2)).toBe('compute009');
    expect(nodeNameOf(batch, 3)).toBeUndefined();
    expect(nodeNameOf({ ...batch, 'herd:node': 'compute777' }, 0)).toBe('compute777');
    expect(nodeNameOf({}, 0)).toBeUndefined();
  });
});
