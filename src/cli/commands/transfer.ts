import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ExitCode } from '../../errors.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import {
  fanoutFrom,
  SELECTOR_HELP,
  type SelectionArgs,
  selectorFrom,
  withSelectionOptions,
} from '../remote-args.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs, SelectionArgs {
  cluster: string;
  paths: string[];
}

function transferCommand(verb: 'put' | 'get'): CommandModule<GlobalArgs, Args> {
  return {
    command: `${verb} <cluster> <paths..>`,
    describe:
      verb === 'put'
        ? 'Copy files to nodes over SFTP: [SELECTOR] LOCAL... REMOTE'
        : 'Copy files from nodes into DIR/<node>/: [SELECTOR] REMOTE DIR',
    builder: (y: Argv<GlobalArgs>) =>
      withSelectionOptions(
        y
          .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
          .positional('paths', {
            type: 'string',
            array: true,
            describe: verb === 'put' ? '[SELECTOR] LOCAL... REMOTE' : '[SELECTOR] REMOTE LOCALDIR',
          }),
      )
        .example(
          verb === 'put' ? '$0 put mycluster ./job.sh /tmp/' : '$0 get mycluster /var/log/syslog ./logs',
          verb === 'put' ? 'to every node' : 'into ./logs/<node>/syslog',
        )
        .example(
          verb === 'put'
            ? '$0 put mycluster -k compute ./data /srv/'
            : "$0 get mycluster 'compute[001-004]' /etc/slurm ./conf",
          verb === 'put' ? 'a directory to the compute nodes' : 'a directory from four nodes',
        )
        .epilog(
          `${SELECTOR_HELP}\n${verb === 'put' ? 'With three or more words, the first is a selector unless a local file of that name exists; -n is never ambiguous. ' : ''}Relative remote paths start in the login user's home. Exit status: 0 when every node succeeded, else 1.`,
        ) as Argv<Args>,
    handler: async (args: ArgumentsCamelCase<Args>) => {
      const remote = await import('../../cluster/remote.js');
      const { createTransferPrinter } = await import('../../ui/transfer-output.js');
      const ctx = contextFrom(args);
      const printer = createTransferPrinter(verb, {
        json: args.json === true,
        tty: process.stderr.isTTY === true,
      });
      const common = {
        fanout: fanoutFrom(args),
        onSelected: printer.onSelected,
        onProgress: printer.onProgress,
        onResult: printer.onResult,
      };
      const words = (args.paths ?? []).map(String);
      const state = await (await openRepo(ctx)).load(args.cluster);
      const results = await withInterrupts(
        (signal) => {
          if (verb === 'put') {
            const { selector, locals, remote: target } = remote.splitPutWords(words);
            return remote.putOnCluster({
              ...common,
              state,
              selector: selectorFrom(args, selector),
              signal,
              locals,
              remote: target,
            });
          }
          const { selector, remote: source, localDir } = remote.splitGetWords(words);
          return remote.getFromCluster({
            ...common,
            state,
            selector: selectorFrom(args, selector),
            signal,
            remote: source,
            localDir,
          });
        },
        { message: 'stopping the transfers...' },
      );
      printer.finish(results);
      if (results.some((r) => r.status === 'cancelled')) process.exitCode = ExitCode.Interrupted;
      else if (results.some((r) => r.status !== 'done')) process.exitCode = ExitCode.Failure;
    },
  };
}

/** `herd put NAME [SELECTOR] LOCAL... REMOTE`. */
export const putCommand = transferCommand('put');
/** `herd get NAME [SELECTOR] REMOTE LOCALDIR`. */
export const getCommand = transferCommand('get');
