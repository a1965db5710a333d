import { basename } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  shell?: string;
}

/** `herd completion [bash|zsh]`. */
export const completionCommand: CommandModule<GlobalArgs, Args> = {
  command: 'completion [shell]',
  describe: 'Print the bash or zsh completion script',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('shell', { type: 'string', describe: 'bash or zsh (default: from $SHELL)' })
      .example('source <($0 completion bash)', 'in ~/.bashrc')
      .example('source <($0 completion zsh)', 'in ~/.zshrc, after compinit') as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const shell = args.shell ?? basename(process.env['SHELL'] ?? '');
    const { bashScript, zshScript } = await import('../completion/scripts.js');
    if (shell === 'bash') process.stdout.write(bashScript());
    else if (shell === 'zsh') process.stdout.write(zshScript());
    else {
      throw new UsageError(
        `completion: no script for shell "${shell || '(unknown)'}"; herd has bash and zsh.`,
        {
          hint: 'Name the shell: herd completion bash, or herd completion zsh.',
        },
      );
    }
  },
};
