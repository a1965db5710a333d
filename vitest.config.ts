import { defineConfig } from 'vitest/config';

/**
 * Test files that run real programs (herd's built binary, Ansible, the openstack client, moto_server,
 * child processes that hold locks or are killed) or need root. They form the `integration` project, so
 * that the `unit` project stays the fast loop a contributor runs as an ordinary user (`npm run test:unit`):
 * no root, no moto, no Ansible, no build, no network beyond in-process servers on loopback. Unit tests may
 * run the OpenSSH client tools and openssl, which answer in milliseconds. A new test file is a unit test
 * unless it is listed here.
 */
const INTEGRATION = [
  // herd's built binary (bin/herd -> dist/), spawned per case; cli.test.ts also runs it as another user.
  'test/cli/cli.test.ts',
  'test/cli/config-errors.test.ts',
  'test/config/secret-values.test.ts',
  'test/providers/gce/cli.test.ts',
  'test/providers/openstack/cli.test.ts',
  'test/cli/dry-run.test.ts',
  'test/cli/state-trust.test.ts',
  'test/cli/export-import.test.ts',
  'test/cli/list-update.test.ts',
  // Two herd installs on one fake cloud (or moto), each its own built herd process.
  'test/providers/ec2/identity.test.ts',
  'test/providers/gce/identity.test.ts',
  'test/providers/openstack/identity.test.ts',
  // herd's built binary with a module-load trace: start-up loads only what it uses.
  'test/cli/startup.test.ts',
  // Copies of herd's built binary, run as root and as nobody: its code cache.
  'test/cli/code-cache.test.ts',
  // herd's built binary, completed by a real bash and zsh.
  'test/cli/completion.test.ts',
  // The build itself: compiles the validators of dist/ again and loads them in a child.
  'test/config/precompiled.test.ts',
  // moto_server (the EC2 API).
  'test/providers/ec2/crash.test.ts',
  'test/providers/ec2/faults.test.ts',
  'test/providers/ec2/provider.test.ts',
  'test/providers/ec2/rejections.test.ts',
  'test/providers/ec2/preflight.test.ts',
  'test/cluster/pause-ec2.test.ts',
  // Debian's openstack client against the fake OpenStack.
  'test/fakes/openstack/openstack-cli.test.ts',
  // Real Ansible (ansible-playbook, ansible-inventory).
  'test/playbooks/playbooks.test.ts',
  'test/setup/ansible.test.ts',
  'test/setup/ansible-ssh.test.ts',
  'test/setup/inventory.test.ts',
  'test/setup/ansible-progress.test.ts',
  // Child processes that hold locks, hang in a write or are killed.
  'test/state/atomic-write.test.ts',
  'test/state/lock.test.ts',
  // Root: chown to other users.
  'test/providers/local/node-files.test.ts',
  'test/ssh/run-dir.test.ts',
  // Root: network namespaces with bridges and nft tables of their own.
  'test/providers/local/forward-filter.test.ts',
];

// Three projects, each test file in exactly one: `unit` (pure logic, in-process servers on loopback),
// `integration` (the files above) and `e2e` (real nodes, real Slurm; needs root). `npm test` runs all three.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.e2e.test.ts', ...INTEGRATION],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          globalSetup: ['test/global-setup.ts'],
          include: INTEGRATION,
          testTimeout: 30_000,
          // Hooks start and reset moto_server and the fakes: on a loaded machine that took more than
          // vitest's default 10 s (test/providers/ec2/identity.test.ts, load average 11).
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          globalSetup: ['test/global-setup.ts'],
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
