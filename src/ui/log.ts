import type { Logger } from '../log.js';

/** A logger writing to stderr, showing debug lines up to `verbosity`. */
export function createStderrLogger(
  verbosity: number,
  stream: NodeJS.WritableStream = process.stderr,
): Logger {
  return {
    info: (message) => stream.write(`${message}\n`),
    warn: (message) => stream.write(`warning: ${message}\n`),
    debug: (message, level = 1) => {
      if (verbosity >= level) stream.write(`${message}\n`);
    },
  };
}

/** A logger that drops everything (tests, `--json`). */
export const silentLogger: Logger = { info() {}, warn() {}, debug() {} };
