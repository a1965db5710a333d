import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isSecretKey,
  redactTemplate,
  restoreSecrets,
  StateRepository,
  secretsOf,
} from '../../src/state/index.js';
import { sampleState, sampleTemplate } from './fixtures/sample.js';

describe('isSecretKey', () => {
  it.each([
    'ec2_secret_key',
    'ec2_access_key',
    'EC2_ACCESS_KEY',
    'password',
    'gce_client_secret',
    'gce_client_id',
    'os_password',
    'auth_token',
    'application_credential_secret',
    'vault_Password_file',
    'github_token',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['ec2_url', 'ec2_region', 'gce_project_id', 'image_id', 'flavor', 'user_key_name', 'nodes_dir'])(
    '%s is not secret',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );
});

const SECRETS = {
  ec2_access_key: 'AKIAEXAMPLEACCESS1',
  ec2_secret_key: 'wJalrXUtnFEMIexampleSECRET2',
  gce_client_id: 'client-id-EXAMPLE3',
  gce_client_secret: 'client-secret-EXAMPLE4',
  os_password: 'hunter2-EXAMPLE5',
  api_token: 'tok-EXAMPLE6',
};

describe('redactTemplate', () => {
  it('drops every secret key and keeps the rest', () => {
    const template = sampleTemplate(SECRETS);
    const withLoginSecret = {
      ...template,
      login: { ...template.login, settings: { image_userdata: 'x', password: 'login-pw-EXAMPLE7' } },
    };
    const redacted = redactTemplate(withLoginSecret);
    expect(redacted.cloud.settings).toEqual({ nodes_dir: '/var/lib/herd' });
    expect(redacted.login.settings).toEqual({ image_userdata: 'x' });
    expect(redacted.kinds).toEqual(template.kinds);
    // The input is not changed: the caller still needs the secrets to talk to the cloud.
    expect(template.cloud.settings['ec2_secret_key']).toBe(SECRETS.ec2_secret_key);
  });
});

/** A template whose setup holds Ansible passwords, in settings and in variables. */
function withAnsibleSecrets() {
  const t = sampleTemplate();
  return {
    ...t,
    setup: {
      ...t.setup,
      ansibleSettings: {
        ansible_forks: 10,
        ansible_become_pass: 'become-EXAMPLE9',
        ansible_ssh_pass: 'sshpass-EXAMPLE10',
        ansible_become_password: 'become-EXAMPLE11',
      },
      globalVars: { site: 'x', db_password: 'db-EXAMPLE12' },
      ansibleExtraArgs: [
        '--tags',
        'slurm',
        '-e',
        'db_pass=extra-EXAMPLE14',
        '-e',
        '@/etc/vars.yml',
        '--extra-vars={"t": "extra-EXAMPLE15"}',
      ],
      ansibleCommand: "/opt/venv/bin/ansible-playbook --diff -e 'pw=cmd-EXAMPLE16'",
    },
    kinds: t.kinds.map((k) => ({
      ...k,
      vars: { site: 'x', db_password: 'db-EXAMPLE12', api_token: 'tok-EXAMPLE13' },
    })),
  };
}
const ANSIBLE_SECRETS = [
  'become-EXAMPLE9',
  'sshpass-EXAMPLE10',
  'become-EXAMPLE11',
  'db-EXAMPLE12',
  'tok-EXAMPLE13',
  'extra-EXAMPLE14',
  'extra-EXAMPLE15',
  'cmd-EXAMPLE16',
];

describe('redactTemplate and restoreSecrets with Ansible secrets', () => {
  it('drops ansible_become_pass, ansible_ssh_pass and variables named like a secret', () => {
    const redacted = redactTemplate(withAnsibleSecrets());
    expect(redacted.setup.ansibleSettings).toEqual({ ansible_forks: 10 });
    expect(redacted.setup.globalVars).toEqual({ site: 'x' });
    expect(redacted.setup.ansibleExtraArgs).toEqual(['--tags', 'slurm', '-e', '@/etc/vars.yml']);
    expect(redacted.setup.ansibleCommand).toBe('/opt/venv/bin/ansible-playbook --diff');
    for (const k of redacted.kinds) expect(k.vars).toEqual({ site: 'x' });
    for (const secret of ANSIBLE_SECRETS) expect(JSON.stringify(redacted)).not.toContain(secret);
  });

  it('puts them back from the configuration', () => {
    const original = withAnsibleSecrets();
    expect(restoreSecrets(redactTemplate(original), secretsOf(original))).toEqual(original);
  });
});

describe('saved state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herd-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never contains an Ansible password or a secret variable', async () => {
    const repo = await StateRepository.open(dir);
    await repo.save({ ...sampleState(dir, 'c2'), template: withAnsibleSecrets() });
    const text = await readFile(join(dir, 'c2.json'), 'utf8');
    for (const secret of ANSIBLE_SECRETS) expect(text).not.toContain(secret);
    expect(text).toContain('ansible_forks');
  });

  it('never contains a secret, even when the caller forgot to redact', async () => {
    const repo = await StateRepository.open(dir);
    const state = sampleState(dir, 'c1');
    state.template = sampleTemplate(SECRETS);
    state.template = {
      ...state.template,
      kinds: state.template.kinds.map((k) => ({
        ...k,
        settings: { ...k.settings, ec2_secret_key: 'kind-EXAMPLE8' },
      })),
    };
    await repo.save(state);

    const text = await readFile(join(dir, 'c1.json'), 'utf8');
    for (const secret of [...Object.values(SECRETS), 'kind-EXAMPLE8']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/secret|access_key|client_id|password|token/i);
    expect(text).toContain('/var/lib/herd');
    expect((await repo.load('c1')).template.cloud.settings).toEqual({ nodes_dir: '/var/lib/herd' });
  });
});
