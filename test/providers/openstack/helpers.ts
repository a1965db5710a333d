/** A fake OpenStack cloud and herd's provider pointed at it, with short pauses for tests. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudSection } from '../../../src/config/types.js';
import {
  createOpenStackProvider,
  type OpenStackProviderOptions,
} from '../../../src/providers/openstack/index.js';
import type { ClusterRef, Provider } from '../../../src/providers/types.js';
import { cloudNameFor } from '../../../src/state/names.js';
import {
  type FakeOpenStack,
  type FakeOpenStackOptions,
  startFakeOpenStack,
} from '../../fakes/openstack/index.js';

/** Every OS_* variable of the environment unset, so that only the config speaks. */
export const NO_OS_ENV = Object.fromEntries(
  Object.keys(process.env)
    .filter((k) => k.startsWith('OS_'))
    .map((k) => [k, undefined]),
);

/** Log lines a provider wrote, by level. */
export interface CapturedLog {
  info: string[];
  warn: string[];
  debug: string[];
}

/** Password credentials of the fake's default user. */
export function cloudSection(
  fake: FakeOpenStack,
  settings: Record<string, string | number | boolean> = {},
): CloudSection {
  return {
    name: 'os',
    provider: 'openstack',
    settings: {
      auth_url: fake.authUrl,
      username: 'herd',
      password: 'secret',
      project_name: 'herd-project',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
      ...settings,
    },
  };
}

/** The provider with test timings and a captured log. */
export async function providerFor(
  cloud: CloudSection,
  options: OpenStackProviderOptions = {},
): Promise<{ provider: Provider; log: CapturedLog }> {
  const log: CapturedLog = { info: [], warn: [], debug: [] };
  const provider = await createOpenStackProvider(
    cloud,
    {
      storageDir: '/nonexistent',
      log: {
        info: (m) => log.info.push(m),
        warn: (m) => log.warn.push(m),
        debug: (m) => log.debug.push(m),
      },
    },
    {
      pollFirstMs: 20,
      pollMaxMs: 50,
      retryBaseMs: 5,
      securityGroupDeleteTimeoutMs: 2_000,
      securityGroupDeleteIntervalMs: 20,
      env: {},
      cwd: '/nonexistent',
      ...options,
    },
  );
  return { provider, log };
}

/** A fake with quick server lifecycles. */
export function quickFake(options: FakeOpenStackOptions = {}): Promise<FakeOpenStack> {
  return startFakeOpenStack({ schedulingDelayMs: 10, spawnDelayMs: 20, deleteDelayMs: 20, ...options });
}

let keyCache: string | undefined;
/** An ed25519 public key (OpenSSH one-line format). */
export function publicKey(): string {
  if (!keyCache) {
    const dir = mkdtempSync(join(tmpdir(), 'herd-os-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'herd-test', '-f', join(dir, 'k')]);
    keyCache = readFileSync(join(dir, 'k.pub'), 'utf8').trim();
    rmSync(dir, { recursive: true, force: true });
  }
  return keyCache;
}

/**
 * A cluster for provider calls: `cluster('c1')` is one from before cluster ids (its resources carry
 * the name alone), `cluster('c1', '0a1b2c3d')` one with an id.
 */
export function cluster(name: string, id?: string): ClusterRef {
  return { name, id };
}

/** A create request for `count` nodes of `kind` (a string names a cluster from before ids). */
export function createRequest(
  of: string | ClusterRef,
  kind: string,
  count: number,
  settings: Record<string, string | number | boolean> = {},
  first = 1,
) {
  const ref = typeof of === 'string' ? cluster(of) : of;
  return {
    cluster: ref,
    runId: 'run1',
    template: ref.name,
    kind,
    nodes: Array.from({ length: count }, (_, i) => {
      const name = `${kind}${String(first + i).padStart(3, '0')}`;
      return { name, cloudName: cloudNameFor(ref.name, name, ref.id) };
    }),
    settings: { image_id: 'debian-12', flavor: 'm1.small', ...settings },
    login: { user: 'debian', publicKey: publicKey(), keyName: undefined },
  };
}
