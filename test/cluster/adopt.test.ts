/** Adoption of what the cloud has and state lacks: never two records with one node name. */
import { describe, expect, it } from 'vitest';
import { adoptFound } from '../../src/cluster/adopt.js';
import type { NodeStatus } from '../../src/providers/types.js';
import { clusterState, node, template } from '../ssh/fixtures.js';

const status = (instanceId: string, name: string | undefined): NodeStatus => ({
  instanceId,
  name,
  state: 'running',
  publicIps: [],
  privateIps: ['192.0.2.20'],
});

function recordingLog() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warn: ${m}`), debug() {} },
  };
}

describe('adoptFound', () => {
  it('adopts an unknown node once and names every other instance claiming a taken name', () => {
    const state = {
      ...clusterState([node('compute001', '192.0.2.11', { instanceId: 'i-1' })]),
      id: '0a1b2c3d',
    };
    const { lines, log } = recordingLog();
    const changed = adoptFound(
      state,
      template(),
      [
        status('i-1', 'compute001'),
        status('i-2', 'compute001'),
        status('i-3', 'compute002'),
        status('i-4', 'compute002'),
        status('i-5', undefined),
      ],
      { log },
    );
    expect(changed).toBe(true);
    expect(state.nodes.map((n) => [n.name, n.instanceId, n.cloudName])).toEqual([
      ['compute001', 'i-1', 'mycluster-compute001'],
      ['compute002', 'i-3', 'mycluster-0a1b2c3d-compute002'],
    ]);
    const warnings = lines.filter((l) => l.startsWith('warn:'));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(
      'i-2 of cluster "mycluster" as node compute001, which is i-1 in the state file',
    );
    expect(warnings[1]).toContain(
      'i-4 of cluster "mycluster" as node compute002, which is i-3 in the state file',
    );
    expect(warnings[2]).toContain('i-5 of cluster "mycluster" with an unknown node name');
  });

  it('gives a node whose create call got no answer the instance the cloud has for it', () => {
    const state = clusterState([node('compute001', undefined, { state: 'creating' })]);
    const { log } = recordingLog();
    expect(adoptFound(state, template(), [status('i-9', 'compute001')], { log })).toBe(true);
    expect(state.nodes.map((n) => [n.name, n.instanceId, n.state])).toEqual([
      ['compute001', 'i-9', 'running'],
    ]);
  });
});
