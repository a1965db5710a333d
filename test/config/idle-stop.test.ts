/** idle_stop_minutes and idle_action in [cluster/NAME]: read into the template, checked, and refused where unsupported. */
import { describe, expect, test } from 'vitest';
import { getTemplate } from '../../src/config/index.js';
import { renderInventory } from '../../src/setup/inventory.js';
import { clusterState, node } from '../ssh/fixtures.js';
import { allProblems, loadText } from './helpers.js';

const config = (provider: string, extra: string) =>
  [
    '[cloud/c]',
    `provider=${provider}`,
    provider === 'ec2_boto' ? 'ec2_region=us-east-1' : '',
    '[login/l]',
    'image_user=root',
    '[setup/slurm]',
    'frontend_groups=slurm_master',
    'compute_groups=slurm_worker',
    '[cluster/slurm]',
    'cloud=c',
    'login=l',
    'setup=slurm',
    `image_id=${provider === 'ec2_boto' ? 'ami-1e749f67' : 'debian-12'}`,
    'flavor=t3.micro',
    'frontend_nodes=1',
    'compute_nodes=2',
    extra,
    '',
  ].join('\n');

describe('idle_stop_minutes and idle_action', () => {
  test.each([
    ['', undefined, undefined],
    ['idle_stop_minutes=30', 30, undefined],
    ['idle_stop_minutes=0.5', 0.5, undefined],
    // 0 is "never", the same as leaving it out.
    ['idle_stop_minutes=0', undefined, undefined],
    ['idle_stop_minutes=20\nidle_action=stop', 20, 'stop'],
  ])('%j reads as %s minutes, action %s', async (extra, minutes, action) => {
    const { config: loaded } = await loadText(config('local', extra));
    expect(allProblems(loaded)).toEqual([]);
    const { cluster } = getTemplate(loaded, 'slurm');
    expect(cluster.idleStopMinutes).toBe(minutes);
    expect(cluster.idleAction).toBe(action);
  });

  test.each([
    ['idle_stop_minutes=-1', 'idle_stop_minutes'],
    ['idle_stop_minutes=soon', 'idle_stop_minutes'],
    ['idle_action=hibernate', 'idle_action'],
  ])('refuses %j', async (extra, key) => {
    const { config: loaded } = await loadText(config('local', extra));
    expect(allProblems(loaded).map((p) => p.key)).toContain(key);
  });

  test('idle_action=terminate only where a node that powers off is deleted (EC2)', async () => {
    const local = await loadText(config('local', 'idle_stop_minutes=10\nidle_action=terminate'));
    const problem = allProblems(local.config).find((p) => p.key === 'idle_action');
    expect(problem?.message).toContain('on local use idle_action=stop');
    expect(problem?.line).toBeGreaterThan(0);
    const ec2 = await loadText(config('ec2_boto', 'idle_stop_minutes=10\nidle_action=terminate'));
    expect(allProblems(ec2.config)).toEqual([]);
    expect(getTemplate(ec2.config, 'slurm').cluster.idleAction).toBe('terminate');
  });

  test('the inventory hands the idle time in seconds to the playbooks (nothing when off: the role turns it off)', async () => {
    const { config: loaded } = await loadText(config('local', 'idle_stop_minutes=1.5'));
    const template = getTemplate(loaded, 'slurm');
    const state = clusterState([node('frontend001', '10.0.0.2')], template);
    expect(renderInventory(state, template, {})).toContain('herd_idle_stop_seconds=90');
    const off = { ...template, cluster: { ...template.cluster, idleStopMinutes: undefined } };
    expect(renderInventory(state, off, {})).not.toContain('herd_idle_stop');
  });
});
