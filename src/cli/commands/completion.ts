import { basename } from 'node:path';
import type { ArgumentsCamelCase } from 'yargs';
import { UsageError } from '../../errors.js';
import type { GlobalArgs } from '../context.js';

interface Args extends GlobalArgs {
  shell?: string;
}

/** `herd completion [bash|zsh]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
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
}
