import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  awsImportedFingerprint,
  fingerprintBytes,
  keyFingerprints,
  keyPairMatches,
} from '../../../src/providers/ec2/key-pair.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-ec2-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keygen(type: 'ed25519' | 'rsa', name: string): { pub: string; priv: string } {
  const priv = join(dir, name);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-C',
    'test',
    '-f',
    priv,
  ]);
  return { pub: readFileSync(`${priv}.pub`, 'utf8'), priv };
}

const rsa = keygen('rsa', 'rsa');
const ed = keygen('ed25519', 'ed');
const other = keygen('ed25519', 'other');

describe('fingerprints as AWS computes them for imported keys', () => {
  it('RSA: MD5 of the DER public key, colon hex (what openssl md5 -c prints)', () => {
    const pkcs8 = execFileSync('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', `${rsa.priv}.pub`]);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: pkcs8 });
    const md5 = execFileSync('openssl', ['md5', '-c'], { input: der }).toString().trim().split('= ')[1];
    expect(awsImportedFingerprint(rsa.pub)).toBe(md5);
  });

  it("ed25519: base64 SHA-256 of the key (ssh-keygen -l's SHA256 with padding)", () => {
    const line = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${ed.priv}.pub`]).toString();
    const sha = /SHA256:(\S+)/.exec(line)![1]!;
    expect(awsImportedFingerprint(ed.pub).replace(/=+$/, '')).toBe(sha);
  });
});

describe('keyPairMatches', () => {
  const colonHex = (b: Buffer) => b.toString('hex').match(/../g)!.join(':');

  it.each([
    ['AWS RSA (MD5 of DER)', () => rsa.pub, () => awsImportedFingerprint(rsa.pub)],
    ['AWS ed25519 (base64 SHA-256)', () => ed.pub, () => awsImportedFingerprint(ed.pub)],
    [
      'ed25519 unpadded with SHA256: prefix',
      () => ed.pub,
      () => `SHA256:${awsImportedFingerprint(ed.pub).replace(/=+$/, '')}`,
    ],
    ['moto ed25519 (colon hex SHA-256)', () => ed.pub, () => colonHex(keyFingerprints(ed.pub)[2]!)],
    ['RFC 4716 MD5 of the blob', () => rsa.pub, () => colonHex(keyFingerprints(rsa.pub)[1]!)],
  ])('accepts the %s notation and rejects another key', (_, key, fingerprint) => {
    expect(keyPairMatches({ KeyFingerprint: fingerprint() }, key())).toBe(true);
    expect(keyPairMatches({ KeyFingerprint: fingerprint() }, other.pub)).toBe(false);
  });

  it('compares the public key itself when EC2 returns it (comment and whitespace aside)', () => {
    const [type, data] = ed.pub.split(' ');
    expect(
      keyPairMatches({ PublicKey: `${type} ${data} another-comment\n`, KeyFingerprint: 'xx' }, ed.pub),
    ).toBe(true);
    expect(keyPairMatches({ PublicKey: other.pub }, ed.pub)).toBe(false);
  });

  it('never matches an unreadable or missing fingerprint', () => {
    expect(keyPairMatches({}, ed.pub)).toBe(false);
    expect(keyPairMatches({ KeyFingerprint: 'not a fingerprint!' }, ed.pub)).toBe(false);
    expect(fingerprintBytes('not a fingerprint!')).toBeUndefined();
  });
});
