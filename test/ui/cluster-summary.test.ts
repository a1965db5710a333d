import { describe, expect, it } from 'vitest';
import { renderClusterSummary } from '../../src/ui/cluster-summary.js';
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
