import { describe, expect, it } from 'vitest';
import { renderClusterSummary, sharedClusterWarning } from '../../src/ui/cluster-summary.js';
import { clusterState, node } from '../ssh/fixtures.js';

describe('renderClusterSummary', () => {
  it('offers ssh and sftp to the frontend when a node answers', () => {
    const frontend = node('frontend001', '10.0.0.2');
    const text = renderClusterSummary(clusterState([frontend]), frontend).join('\n');
    expect(text).toContain('Frontend node:    frontend001');
    expect(text).toContain('herd ssh mycluster');
    expect(text).toContain('herd sftp mycluster');
  });

  it('says how to finish the start when no node answers SSH yet, instead of a failing ssh command', () => {
    const text = renderClusterSummary(clusterState([node('frontend001', undefined)]), undefined).join('\n');
    expect(text).toContain('Frontend node:    (none)');
    expect(text).toContain('herd start slurm -n mycluster');
    expect(text).not.toContain('herd ssh');
  });
});

describe('sharedClusterWarning', () => {
  it('warns on an exported cluster and on an imported copy, not on others', () => {
    expect(sharedClusterWarning({ name: 'c1' })).toBeUndefined();
    expect(sharedClusterWarning({ name: 'c1', exportedAt: '2026-01-01T00:00:00.000Z' })).toMatch(
      /^Cluster "c1" was exported at 2026-01-01T00:00:00.000Z: a copy imported from that archive manages the same nodes/,
    );
    const origin = { name: 'c1', storageDir: '/srv/a', exportedAt: 'T1', importedAt: 'T2' };
    expect(sharedClusterWarning({ name: 'c2', exportedAt: 'T1', origin })).toMatch(
      /^Cluster "c2" was imported \(exported as "c1" from \/srv\/a at T1\).*terminates them for every copy/,
    );
  });
});
