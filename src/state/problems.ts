/** The StateErrors more than one state module raises. */
import { StateError } from '../errors.js';

/** A state file that cannot be parsed or does not match the schema. herd never overwrites it by itself. */
export function corruptStateError(file: string, problem: string, cause?: unknown): StateError {
  return new StateError('StateCorrupt', `State file ${file} is corrupt: ${problem}.`, {
    hint: `Restore ${file} from a backup, or move it away (mv ${file} ${file}.broken) to make herd forget that cluster; herd never overwrites it by itself.`,
    cause,
  });
}

/** An I/O failure on a state path, with the OS's own words. */
export function ioStateError(action: string, path: string, cause: unknown): StateError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StateError('StateIoFailed', `Cannot ${action} ${path}: ${reason}`, {
    hint: 'Check the permissions and free space of the storage directory (-s/--storage, HERD_STORAGE).',
    cause,
  });
}

/** The errno code of a Node.js system error, if any. */
export function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
