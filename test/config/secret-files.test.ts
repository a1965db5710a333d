import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ini, lineOf, PLAYBOOKS, tempDir } from './helpers.js';

const text = ini`
  [cloud/aws]
  provider=ec2_boto
  ec2_region=us-east-1
  ec2_access_key=AKIDEXAMPLE
  ec2_secret_key=wJalrXUtnFEMI
  [cloud/aws-env]
  provider=ec2_boto
  ec2_region=us-east-1
  ec2_secret_key=$AWS_SECRET_ACCESS_KEY
`;

async function load(mode: number) {
  const dir = await tempDir();
  const file = join(dir, 'config');
  await writeFile(file, text);
  await chmod(file, mode);
  const config = await loadConfig({ configPath: file, env: { HOME: dir }, playbooksDir: PLAYBOOKS });
  return { config, file };
}

describe('secrets in config files other users can read', () => {
  it('warns at the secret key, with file, line and the chmod that fixes it', async () => {
    const { config, file } = await load(0o644);
    const secrets = config.warnings.filter((w) => /other users can read/.test(w.message));
    expect(secrets).toEqual([
      {
        file,
        line: lineOf(text, 'ec2_secret_key=wJal'),
        section: 'cloud/aws',
        key: 'ec2_secret_key',
        message: expect.stringContaining(`chmod 600 ${file}`),
      },
    ]);
    expect(secrets[0]!.message).toContain('mode 644');
    // The warning never repeats the secret itself.
    expect(JSON.stringify(config.warnings)).not.toContain('wJalrXUtnFEMI');
  });

  it('says nothing when only the owner can read the file', async () => {
    const { config } = await load(0o600);
    expect(config.warnings.filter((w) => /other users can read/.test(w.message))).toEqual([]);
  });
});
