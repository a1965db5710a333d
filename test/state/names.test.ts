import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { CLUSTER_ID, cloudNameFor, newClusterId, validateClusterName } from '../../src/state/index.js';

describe('validateClusterName', () => {
  it.each(['slurm', 'Slurm-1', '1cluster', 'my_cluster.v2', 'a', 'x'.repeat(60)])('accepts %j', (name) => {
    expect(() => validateClusterName(name)).not.toThrow();
  });

  it.each([
    ['', /is empty/],
    ['x'.repeat(61), /61 characters, the limit is 60/],
    ['-leading', /starts with "-"/],
    ['.hidden', /starts with "\."/],
    ['_under', /starts with "_"/],
    ['../escape', /starts with "\."/],
    ['a/b', /contains "\/"/],
    ['has space', /contains " "/],
    ['tab\tname', /contains "\\t"/],
    ['ünïcode', /starts with "ü"/],
    ['semi;colon', /contains ";"/],
  ])('rejects %j with exit 2', (name, reason) => {
    let error: unknown;
    try {
      validateClusterName(name);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    expect((error as UsageError).message).toMatch(reason);
    expect((error as UsageError).message).toContain('Invalid cluster name');
    expect((error as UsageError).hint).toMatch(/letters, digits/);
  });
});

describe('cloudNameFor', () => {
  it.each([
    ['slurm', 'compute001', 'slurm-compute001'],
    ['My_Cluster.v2', 'frontend001', 'my-cluster-v2-frontend001'],
    ['UPPER', 'gpu-node001', 'upper-gpu-node001'],
  ])('%s + %s -> %s', (cluster, node, expected) => {
    expect(cloudNameFor(cluster, node)).toBe(expected);
  });

  it('shortens the cluster part, never the node part, to 63 characters', () => {
    const cluster = 'c'.repeat(60);
    const a = cloudNameFor(cluster, 'compute001');
    const b = cloudNameFor(cluster, 'compute002');
    expect(a).toHaveLength(63);
    expect(a.endsWith('-compute001')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('puts the cluster id between cluster and node, keeping id and node whole within 63 characters', () => {
    expect(cloudNameFor('slurm', 'compute001', '0a1b2c3d')).toBe('slurm-0a1b2c3d-compute001');
    const long = cloudNameFor('c'.repeat(60), 'compute001', '0a1b2c3d');
    expect(long).toHaveLength(63);
    expect(long.endsWith('-0a1b2c3d-compute001')).toBe(true);
    // Two clusters of one name never share a cloud name, however long the name.
    expect(cloudNameFor('c'.repeat(60), 'compute001', '9f8e7d6c')).not.toBe(long);
    expect(long).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('does not leave a hyphen run where the cluster part was cut', () => {
    const name = cloudNameFor(`${'a'.repeat(51)}--------x`, 'compute001');
    expect(name).toBe(`${'a'.repeat(51)}-compute001`);
    expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });
});

describe('newClusterId', () => {
  it('is 8 lowercase hex digits (a valid GCE label value and name part), different each time', () => {
    const ids = Array.from({ length: 50 }, () => newClusterId());
    for (const id of ids) expect(id).toMatch(CLUSTER_ID);
    expect(new Set(ids).size).toBe(50);
  });
});
