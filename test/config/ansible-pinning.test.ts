/**
 * ssh settings for Ansible in the config that would weaken herd's host-key pinning: dropped with a
 * warning at their file:line (the template stays valid), and an ineffective host_key_checking is
 * said to be so. The refusals (another connection, extra vars setting ansible_ssh_args) are in
 * malformed-cases.ts.
 */
import { describe, expect, it } from 'vitest';
import { allProblems, lineOf, loadText } from './helpers.js';
import { BASE } from './malformed-cases.js';

describe.each([
  [
    '[setup] ansible_ssh_args',
    '[setup/slurm]\nansible_ssh_args=-o StrictHostKeyChecking=no -o ServerAliveInterval=5',
    'setup/slurm',
    'ansible_ssh_args',
    /StrictHostKeyChecking is ignored: herd checks each node's pinned host key/,
  ],
  [
    '[setup] global_var_ansible_ssh_args',
    '[setup/slurm]\nglobal_var_ansible_ssh_args=-oUserKnownHostsFile=/dev/null',
    'setup/slurm',
    'global_var_ansible_ssh_args',
    /UserKnownHostsFile is ignored/,
  ],
  [
    '[cluster] global_var_ansible_ssh_args',
    'global_var_ansible_ssh_args=-o "GlobalKnownHostsFile /tmp/k"',
    'cluster/slurm',
    'global_var_ansible_ssh_args',
    /GlobalKnownHostsFile is ignored/,
  ],
  [
    '[cluster] compute_var_ansible_ssh_common_args',
    'compute_var_ansible_ssh_common_args=-o HostKeyAlias=frontend001',
    'cluster/slurm',
    'compute_var_ansible_ssh_common_args',
    /HostKeyAlias is ignored/,
  ],
  [
    '[setup] ansible_ssh_extra_args',
    '[setup/slurm]\nansible_ssh_extra_args=-o ControlPath=/tmp/shared -o KnownHostsCommand=/bin/cat',
    'setup/slurm',
    'ansible_ssh_extra_args',
    /KnownHostsCommand, ControlPath are ignored|ControlPath, KnownHostsCommand are ignored/,
  ],
  [
    '[setup] ansible_extra_args --ssh-common-args',
    '[setup/slurm]\nansible_extra_args=--ssh-common-args="-o StrictHostKeyChecking=accept-new"',
    'setup/slurm',
    'ansible_extra_args',
    /--ssh-common-args: StrictHostKeyChecking is ignored/,
  ],
  [
    '[setup] ansible_host_key_checking=no',
    '[setup/slurm]\nansible_host_key_checking=no',
    'setup/slurm',
    'ansible_host_key_checking',
    /has no effect: herd always checks each node's pinned host key/,
  ],
])('%s', (_name, append, section, key, message) => {
  it('is a warning at its file:line, and the template stays valid', async () => {
    const text = `${BASE}${append}\n`;
    const { config, main } = await loadText(text);
    expect(allProblems(config)).toEqual([]);
    expect(config.templates.has('slurm')).toBe(true);
    const warning = config.warnings.find((w) => w.key === key);
    expect(warning).toMatchObject({ file: main, section, key });
    expect(warning?.line).toBe(lineOf(text, `${key}=`, BASE.split('\n').length - 1));
    expect(warning?.message).toMatch(message);
  });
});
