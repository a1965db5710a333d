import { UsageError } from '../errors.js';

/**
 * Asks for confirmation of a disruptive action. `--yes` skips the question; without a TTY there is nobody
 * to ask, so herd refuses rather than guess.
 */
export async function confirm(question: string, yes: boolean, flag = '--yes'): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    throw new UsageError(`${question} Refusing without confirmation: standard input is not a terminal.`, {
      hint: `Add ${flag} to confirm.`,
    });
  }
  // Loaded only when there is a question to ask: most commands never ask one.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
