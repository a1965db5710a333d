import { access } from 'node:fs/promises';

/** Whether `path` exists and can be reached by this user (any error counts as no). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
