import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StateError } from '../../src/errors.js';
import { createSshWaiter } from '../../src/ssh/ssh-waiter.js';
import { silentLogger } from '../../src/ui/log.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('names a missing cluster key and the way out instead of failing with ENOENT', async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-waiter-'));
  const path = join(dir, 'c1.key');
  const error = await createSshWaiter(silentLogger)({
    nodes: [{ name: 'frontend001', ips: ['192.0.2.1'] }],
    user: 'root',
    privateKeyPath: path,
    deadline: Date.now() + 60_000,
    probeTimeoutMs: 1_000,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(StateError);
  expect((error as StateError).code).toBe('ClusterKeyMissing');
  expect((error as StateError).message).toContain(`${path}, is missing`);
  expect((error as StateError).hint).toContain('herd export');
});
