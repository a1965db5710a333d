import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { assertNotPaused } from '../../cluster/paused.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { openRepo, passthroughArgs, runOpenSsh } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  node?: string;
}

function sshLike(tool: 'ssh' | 'sftp'): CommandModule<GlobalArgs, Args> {
  return {
    command: `${tool} <cluster>`,
    describe:
      tool === 'ssh'
        ? 'Open an SSH session to the frontend (or -n NODE_OR_KIND); arguments after -- go to ssh'
        : 'Open an SFTP session to the frontend (or -n NODE_OR_KIND); arguments after -- go to sftp',
    builder: (y: Argv<GlobalArgs>) =>
      y
        .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
        .option('node', {
          alias: 'n',
          type: 'string',
          describe: 'Node name or kind (default: ssh_to, else the frontend)',
        })
        .example(`$0 ${tool} mycluster`, 'connect to the frontend')
        .example(
          tool === 'ssh'
            ? '$0 ssh mycluster -n compute002 -- hostname -f'
            : '$0 sftp mycluster -- -b batchfile',
          'pass arguments',
        ) as Argv<Args>,
    handler: async (args: ArgumentsCamelCase<Args>) => {
      const ctx = contextFrom(args);
      const repo = await openRepo(ctx);
      const state = await repo.load(args.cluster);
      assertNotPaused(state);
      process.exitCode = await runOpenSsh(tool, state, args.node, passthroughArgs(args));
    },
  };
}

/** `herd ssh NAME [-n NODE_OR_KIND] [-- args]`. */
export const sshCommand = sshLike('ssh');
/** `herd sftp NAME [-n NODE_OR_KIND] [-- args]`. */
export const sftpCommand = sshLike('sftp');
