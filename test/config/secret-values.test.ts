/**
 * Secret values are used exactly as written: `%` and `$` in them are not interpolated (so an
 * environment variable cannot change them), and no message, warning or `list-templates --json`
 * output ever shows them. Checked for every secret key of every provider, and for Ansible secrets.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOUD_SCHEMAS, PROVIDERS } from '../../src/config/schema/index.js';
import { isSecretKey } from '../../src/config/secret-keys.js';
import { makeTempDir, runHerd } from '../helpers/cli.js';
import { allProblems, ini, loadText } from './helpers.js';

const SECRET = 'Tr0ub4dor%Horse$battery99';
/** Pieces of SECRET that must appear in no output. */
const PIECES = ['Tr0ub4dor', 'Horse', 'battery99'];
/** An environment that would change SECRET if `$battery99` were expanded. */
const ENV = { battery99: 'CHANGED', HOME: '/home/tester' };

/** The cloud section of each provider, without the secret under test. */
const CLOUDS: Record<string, string> = {
  ec2_boto: 'provider=ec2_boto\nec2_region=us-east-1',
  google: 'provider=google\ngce_project_id=p',
  openstack: 'provider=openstack\nauth_url=https://keystone.example:5000/v3\nusername=u\nproject_name=p',
  azure: 'provider=azure',
  libcloud: 'provider=libcloud\ndriver_name=dummy',
  opennebula: 'provider=opennebula',
};

/** Every secret key of every provider's cloud section: declared in the schema or named like one. */
const CLOUD_SECRETS = PROVIDERS.flatMap((provider) =>
  Object.keys(CLOUD_SCHEMAS[provider].properties)
    .filter((key) => isSecretKey(key))
    .map((key) => ({ provider, key })),
);

/** The password, or the access key id whose partner must be set too. */
function cloudSection(provider: string, key: string, value: string): string {
  const partner: Record<string, string> = {
    ec2_access_key: 'ec2_secret_key',
    ec2_secret_key: 'ec2_access_key',
  };
  const other = partner[key] ? `\n${partner[key]}=plain-partner` : '';
  const required = provider === 'openstack' && key !== 'password' ? '\npassword=plain-password' : '';
  return `[cloud/c]\n${CLOUDS[provider]}\n${key}=${value}${other}${required}\n`;
}

function config(cloud: string, extra = ''): string {
  return `${cloud}${ini`
    [login/l]
    image_user=debian
    [setup/s]
    frontend_groups=slurm_master
    ansible_become_pass=${SECRET}
    global_var_db_password=${SECRET}
    frontend_var_api_token=${SECRET}
    [cluster/good]
    cloud=c
    login=l
    setup=s
    image_id=img
    flavor=small
    frontend_nodes=1
    [cluster/bad]
    cloud=c
    login=l
    setup=s
    frontend_nodes=1
    ${extra}
  `}`;
}

describe('secret keys', () => {
  it('covers the credentials of every provider (a new secret key is then tested below too)', () => {
    expect(CLOUD_SECRETS).toEqual(
      expect.arrayContaining([
        { provider: 'ec2_boto', key: 'ec2_access_key' },
        { provider: 'ec2_boto', key: 'ec2_secret_key' },
        { provider: 'google', key: 'gce_client_id' },
        { provider: 'google', key: 'gce_client_secret' },
        { provider: 'openstack', key: 'password' },
      ]),
    );
    for (const provider of ['ec2_boto', 'google', 'openstack']) {
      expect(
        CLOUD_SECRETS.some((s) => s.provider === provider),
        provider,
      ).toBe(true);
    }
  });

  it.each([
    'ansible_become_pass',
    'ansible_become_password',
    'ansible_ssh_pass',
    'ansible_password',
    'ansible_sudo_pass',
    'db_password',
    'api_token',
    'vault_passphrase',
    'client_secret',
    'aws_credentials',
  ])('%s is a secret', (key) => expect(isSecretKey(key)).toBe(true));

  it.each([
    'ansible_user',
    'ansible_ssh_pipelining',
    'ansible_python_interpreter',
    'image_user',
    'flavor',
    'passthrough',
  ])('%s is not a secret', (key) => expect(isSecretKey(key)).toBe(false));
});

describe.each(CLOUD_SECRETS)('$provider $key with "%" and "$" in its value', ({ provider, key }) => {
  it('is used exactly as written, whatever the environment holds', async () => {
    const { config: loaded } = await loadText(config(cloudSection(provider, key, SECRET)), { env: ENV });
    const good = loaded.templates.get('good');
    expect(good, JSON.stringify(allProblems(loaded))).toBeDefined();
    expect(good!.cloud.settings[key]).toBe(SECRET);
    expect(good!.setup.ansibleSettings['ansible_become_pass']).toBe(SECRET);
    expect(good!.setup.globalVars['db_password']).toBe(SECRET);
    expect(good!.kinds[0]!.vars['api_token']).toBe(SECRET);
  });

  it('appears in no problem, warning or note', async () => {
    const { config: loaded } = await loadText(config(cloudSection(provider, key, SECRET)), { env: ENV });
    expect(loaded.invalid.get('bad')?.problems.length).toBeGreaterThan(0);
    const text = JSON.stringify([allProblems(loaded), loaded.warnings, loaded.notes]);
    for (const piece of PIECES) expect(text).not.toContain(piece);
  });

  it('appears in no output of list-templates, with or without --json, -v', async () => {
    const home = await makeTempDir('herd-secret-');
    try {
      const file = join(home.dir, 'config');
      await writeFile(file, config(cloudSection(provider, key, SECRET)), { mode: 0o644 });
      for (const args of [['--json'], ['-v'], []]) {
        const r = await runHerd(['list-templates', '-c', file, '-s', join(home.dir, 'st'), ...args], {
          env: { ...ENV, HOME: home.dir },
        });
        expect(r.code).toBe(2);
        for (const piece of PIECES) expect(r.stdout + r.stderr).not.toContain(piece);
      }
    } finally {
      await home.cleanup();
    }
  });
});

describe('secret values and the old escapes', () => {
  it('reads "%%" as a literal "%", as ConfigParser does, and nothing else', async () => {
    const { config: loaded } = await loadText(config(cloudSection('openstack', 'password', 'a%%b%c$HOME')), {
      env: ENV,
    });
    expect(loaded.templates.get('good')!.cloud.settings['password']).toBe('a%b%c$HOME');
  });

  it('reads a value that is only $NAME or $' + '{NAME} from the environment', async () => {
    for (const reference of ['$OS_PW', `\${OS_PW}`]) {
      const { config: loaded } = await loadText(config(cloudSection('openstack', 'password', reference)), {
        env: { ...ENV, OS_PW: SECRET },
      });
      expect(loaded.templates.get('good')!.cloud.settings['password']).toBe(SECRET);
    }
  });

  it('warns about an unset variable without naming the value', async () => {
    const { config: loaded } = await loadText(config(cloudSection('openstack', 'password', '$Horse')), {
      env: ENV,
    });
    const warning = loaded.warnings.find((w) => w.key === 'password');
    expect(warning?.message).toMatch(/environment variable that is not set/);
    expect(JSON.stringify(loaded.warnings)).not.toContain('Horse');
  });

  it('says that %(name)s is not expanded in a secret, without showing it', async () => {
    const { config: loaded } = await loadText(
      config(cloudSection('openstack', 'password', 'x%(username)sHorse')),
      { env: ENV },
    );
    expect(loaded.templates.get('good')!.cloud.settings['password']).toBe('x%(username)sHorse');
    const warning = loaded.warnings.find((w) => w.key === 'password');
    expect(warning?.message).toMatch(/secret values are not interpolated/);
    expect(JSON.stringify(loaded.warnings)).not.toContain('Horse');
  });
});
