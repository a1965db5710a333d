import type { ArgumentsCamelCase } from 'yargs';
import { ExitCode } from '../../errors.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { fanoutFrom, type SelectionArgs, selectorFrom } from '../remote-args.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs, SelectionArgs {
  cluster: string;
  paths: string[];
}

/** `herd put NAME [SELECTOR] LOCAL... REMOTE` and `herd get NAME [SELECTOR] REMOTE LOCALDIR`. */
export function transferHandler(verb: 'put' | 'get') {
  return async (args: ArgumentsCamelCase<Args>): Promise<void> => {
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
  };
}
