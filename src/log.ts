/**
 * A minimal logger, used by every folder; the UI decides where lines go (`src/ui/log.ts` makes the real one).
 */
export interface Logger {
  /** Something the user should see at the default verbosity. */
  info(message: string): void;
  /** Something wrong but not fatal. */
  warn(message: string): void;
  /** Details shown at `-v` (level 1) and more at `-vv` (level 2). */
  debug(message: string, level?: number): void;
}
