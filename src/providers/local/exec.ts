/**
 * Runs the host tools the local provider drives (ip, nft, mount, debootstrap, tar). Failures
 * become ProviderErrors that quote the command and the end of its output.
 */
import { execa } from 'execa';
import { AbortError, ProviderError } from '../../errors.js';

/** Options of one host command. */
export interface RunOptions {
  /** Text fed to the command's stdin. */
  input?: string;
  /** Kills the command when aborted. */
  signal?: AbortSignal;
  /** Extra environment variables. */
  env?: Readonly<Record<string, string>>;
}

/** Runs `command args...` and returns its stdout; throws a ProviderError on a non-zero exit. */
export async function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await execa(command, args, {
    reject: false,
    stripFinalNewline: true,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  if (result.isCanceled) throw new AbortError(`Interrupted while running ${command}.`);
  if (result.failed) {
    const output = tail(`${result.stderr}\n${result.stdout}`.trim(), 20);
    const why =
      result.exitCode === undefined ? (result.shortMessage ?? 'could not start') : `exit ${result.exitCode}`;
    throw new ProviderError(
      'LocalCommandFailed',
      `\`${[command, ...args].join(' ')}\` failed (${why})${output ? `:\n${output}` : '.'}`,
    );
  }
  return String(result.stdout);
}

/** Like `run`, but a failure is reported as false instead of thrown. */
export async function tryRun(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<boolean> {
  try {
    await run(command, args, options);
    return true;
  } catch (error) {
    if (error instanceof AbortError) throw error;
    return false;
  }
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}
