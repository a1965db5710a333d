/** Plain-words explanations of the file system errors a config path runs into. */

/** What went wrong with a path, for a message that names the path itself. */
export function describeFileError(error: unknown): string {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'ENOTDIR':
      return 'a part of the path before the file name is a file, not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (the file is not readable, or a directory on the path may not be entered)';
    case 'EISDIR':
      return 'it is a directory, not a file';
    case 'ELOOP':
      return 'too many symbolic links on the path (a symlink loop)';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return String(message ?? error);
  }
}
