/**
 * Commands on an existing cluster read the cloud section (credentials) and the secrets of the setup
 * from the configuration again, since state holds none: also when every template using that cloud
 * section is invalid, and with messages that say what really happened.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { liveCloud, liveTemplate } from '../../src/cli/wiring.js';
import { redactTemplate } from '../../src/state/index.js';
import type { ClusterState } from '../../src/state/types.js';
import { makeTempDir } from '../helpers/cli.js';
import { clusterState, kind, node, template } from '../ssh/fixtures.js';

let home: { dir: string; cleanup: () => Promise<void> };
let lines: string[];

beforeEach(async () => {
  home = await makeTempDir('herd-live-');
  lines = [];
});
afterEach(() => home.cleanup());

function context(config: string): CliContext {
  return {
    configPath: config,
    configIsDefault: false,
    storageDir: join(home.dir, 'storage'),
    verbosity: 1,
    log: {
      info: (m) => lines.push(`info: ${m}`),
      warn: (m) => lines.push(`warning: ${m}`),
      debug: (m) => lines.push(`debug: ${m}`),
    },
  };
}

const AWS = `[cloud/aws]
provider=ec2_boto
ec2_region=us-east-1
ec2_access_key=AKIAEXAMPLE
ec2_secret_key=SECRET-FROM-CONFIG
`;

const REST = `[login/l]
image_user=admin
[setup/s]
frontend_groups=slurm_master
compute_groups=slurm_worker
ansible_become_pass=BECOME-FROM-SETUP
global_var_db_password=DB-FROM-SETUP
compute_var_api_token=TOKEN-FROM-SETUP
`;

/** A cluster started on [cloud/aws] from template `t`, as its state file holds it (redacted). */
function savedState(): ClusterState {
  const tpl = template({
    name: 't',
    cloud: {
      name: 'aws',
      provider: 'ec2_boto',
      settings: { ec2_region: 'us-east-1', ec2_secret_key: 'OLD', ec2_access_key: 'OLD' },
    },
    setup: {
      ...template().setup,
      name: 's',
      ansibleSettings: { ansible_become_pass: 'OLD', ansible_forks: '5' },
      globalVars: { db_password: 'OLD', site: 'x' },
    },
    kinds: [
      kind('frontend', ['slurm_master'], { db_password: 'OLD', site: 'x' }),
      kind('compute', ['slurm_worker'], { db_password: 'OLD', site: 'x', api_token: 'OLD' }),
    ],
  });
  return { ...clusterState([node('frontend001', '10.0.0.2')], redactTemplate(tpl)), templateName: 't' };
}

async function writeConfig(text: string): Promise<string> {
  const file = join(home.dir, 'config');
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

describe('liveCloud', () => {
  it('uses the config section when the template is valid', async () => {
    const ctx = context(
      await writeConfig(
        `${AWS}${REST}[cluster/t]\ncloud=aws\nlogin=l\nsetup=s\nimage_id=ami-1\nflavor=t3.small\nfrontend_nodes=1\n`,
      ),
    );
    const cloud = await liveCloud(ctx, savedState());
    expect(cloud.settings['ec2_secret_key']).toBe('SECRET-FROM-CONFIG');
  });

  it('uses the config section even when every template that uses it is invalid, and says nothing false', async () => {
    // No image_id: the only template on [cloud/aws] is invalid, the section itself is fine.
    const ctx = context(
      await writeConfig(`${AWS}${REST}[cluster/t]\ncloud=aws\nlogin=l\nsetup=s\nfrontend_nodes=1\n`),
    );
    const cloud = await liveCloud(ctx, savedState());
    expect(cloud.settings['ec2_secret_key']).toBe('SECRET-FROM-CONFIG');
    expect(cloud.settings['ec2_access_key']).toBe('AKIAEXAMPLE');
    expect(lines.join('\n')).not.toMatch(/not in the config/);
  });

  it('says the section is missing only when it is', async () => {
    const ctx = context(await writeConfig(REST));
    const cloud = await liveCloud(ctx, savedState());
    expect(cloud.settings['ec2_secret_key']).toBeUndefined();
    expect(lines.join('\n')).toMatch(/\[cloud\/aws\] is not in the configuration/);
  });

  it('names the problems of an invalid cloud section instead of calling it missing', async () => {
    const ctx = context(await writeConfig(`${AWS.replace('ec2_region=us-east-1\n', '')}${REST}`));
    const cloud = await liveCloud(ctx, savedState());
    expect(cloud.settings['ec2_secret_key']).toBeUndefined();
    const text = lines.join('\n');
    expect(text).toMatch(/warning: \[cloud\/aws\] in the configuration is invalid .*ec2_region/);
    expect(text).not.toMatch(/not in the config/);
    expect(text).not.toContain('SECRET-FROM-CONFIG');
  });
});

describe('liveTemplate', () => {
  it('puts the secrets of the setup back from the configuration, keeping the snapshot otherwise', async () => {
    const ctx = context(
      await writeConfig(
        `${AWS}${REST}[cluster/t]\ncloud=aws\nlogin=l\nsetup=s\nimage_id=ami-1\nflavor=t3.small\nfrontend_nodes=1\ncompute_nodes=2\n`,
      ),
    );
    const live = await liveTemplate(ctx, savedState());
    expect(live.cloud.settings['ec2_secret_key']).toBe('SECRET-FROM-CONFIG');
    expect(live.setup.ansibleSettings).toEqual({
      ansible_forks: '5',
      ansible_become_pass: 'BECOME-FROM-SETUP',
    });
    expect(live.setup.globalVars).toEqual({ site: 'x', db_password: 'DB-FROM-SETUP' });
    expect(live.kinds.find((k) => k.name === 'compute')!.vars).toEqual({
      site: 'x',
      db_password: 'DB-FROM-SETUP',
      api_token: 'TOKEN-FROM-SETUP',
    });
    expect(live.kinds.find((k) => k.name === 'frontend')!.vars).toEqual({
      site: 'x',
      db_password: 'DB-FROM-SETUP',
    });
  });

  it('reads them from the setup section when the template is invalid, and says so', async () => {
    const ctx = context(
      await writeConfig(`${AWS}${REST}[cluster/t]\ncloud=aws\nlogin=l\nsetup=s\nfrontend_nodes=1\n`),
    );
    const live = await liveTemplate(ctx, savedState());
    expect(live.setup.ansibleSettings['ansible_become_pass']).toBe('BECOME-FROM-SETUP');
    expect(live.kinds.find((k) => k.name === 'compute')!.vars['api_token']).toBe('TOKEN-FROM-SETUP');
    expect(lines.join('\n')).toMatch(/warning: template "t" in the configuration is invalid/);
  });
});
