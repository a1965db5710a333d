/**
 * The quick parser against yargs: for every command line it takes on, the command and arguments must be
 * exactly what yargs hands the handler; anything else (errors, help) it must leave to yargs.
 */
import { describe, expect, it } from 'vitest';
import { quickParse } from '../../src/cli/quick-parse.js';
import { buildParser } from '../../src/cli/yargs-cli.js';

/** What yargs passes to the handler for `argv`, or the error it reports. */
async function viaYargs(argv: string[]): Promise<{ command: string; args: unknown } | { error: string }> {
  let seen: { command: string; args: unknown } | undefined;
  try {
    await buildParser(argv, 100, async (command, args) => {
      seen = { command: command.name, args: { ...args } };
    }).parseAsync();
  } catch (error) {
    return { error: String(error) };
  }
  return seen ?? { error: 'no command ran' };
}

const taken: string[][] = [
  ['list'],
  ['list', '--json'],
  ['-c', '/tmp/x.conf', 'list-templates'],
  ['list-templates', '-s', '/tmp/st', '--config=/tmp/c', "'*slurm*'", 'gpu'],
  ['list-templates', '--json', '-vvv', '--debug'],
  ['-v', '-v', 'list'],
  ['start', 'slurm'],
  ['start', 'slurm', '-n', 'big', '--nodes', '10:compute', '--no-setup', '--json'],
  ['start', '123', '--dry-run', '--name', 'a', '--name', 'b'],
  ['start', 'slurm', '--setup=false', '--nodes=3:compute'],
  ['stop', 'lab', '--yes', '--force', '--wait'],
  ['list-nodes', 'lab', '-u'],
  ['setup', 'lab', '--', '--tags', 'slurm', '--check'],
  ['resize', 'lab', '-a', '2:compute', '-r', '1:gpu', '--yes', '--dry-run'],
  ['remove-node', 'lab', 'compute002', '--no-setup'],
  ['ssh', 'lab'],
  ['ssh', 'lab', '-n', 'compute001', '--', 'hostname', '-f'],
  ['sftp', 'lab', '--', '-b', 'batch'],
  ['exec', 'lab', '--', 'uptime'],
  ['exec', 'lab', 'compute[001-004]', 'gpu', '-k', 'compute', '-k', 'gpu', '-g', '-t', '5', '--', 'df', '-h'],
  ['exec', 'lab', '-n', 'compute001', '-n', 'compute002', '-f', '4', '--all', '--', 'true'],
  ['exec', 'lab', '--timeout', 'soon', '--', 'true'],
  ['put', 'lab', './job.sh', '/tmp/'],
  ['put', 'lab', '-k', 'compute', 'a', 'b', '/srv/', '--json'],
  ['get', 'lab', 'compute[001-004]', '/etc/slurm', './conf', '--fanout=2'],
  ['check'],
  ['check', 'aws', 'gce', '--json'],
  ['completion', 'bash'],
  ['completion'],
  ['start', 'slurm', '--nodes'],
  ['start', 'slurm', '--json=false', '--no-json', '--dry-run=true'],
  ['-n', 'x', 'start', 'slurm'],
  ['start', '-n', 'x', 'slurm'],
  ['list', '--verbose=2', '-c'],
  ['list-templates', '--', 'x'],
  ['exec', 'lab', '-f', '--', 'x'],
];

const left: string[][] = [
  [],
  ['--help'],
  ['start', '--help'],
  ['list', '-h'],
  ['--version'],
  ['strat'],
  ['start'],
  ['start', 'a', 'b'],
  ['start', 'slurm', '--nodse', '3:compute'],
  ['list', '--jsn'],
  ['ssh'],
  ['put', 'lab'],
  ['list', 'extra'],
  ['--json', 'list'],
  ['list', '--no-such'],
  ['remove-node', 'lab'],
  ['start', 'slurm', '--dryRun'],
  ['list', '-vV'],
  ['exec', 'lab', '-kcompute', '--', 'x'],
];

describe('the quick parser', () => {
  it.each(taken)('gives the handler what yargs gives it: %j', async (...argv) => {
    const quick = quickParse(argv);
    expect(quick, 'the quick parser takes it on').toBeDefined();
    expect({ command: quick!.command.name, args: quick!.args }).toEqual(await viaYargs(argv));
  });

  it.each(left)('leaves %j to yargs', (...argv) => {
    expect(quickParse(argv)).toBeUndefined();
  });
});
