/**
 * Runs the system ssh or sftp client in the foreground (`herd ssh`, `herd sftp`). A module of its own so
 * that child_process (with net and dgram) loads only for these commands.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Runs `tool argv` with herd's terminal and resolves to its exit code (128 + signal number if killed). */
export function runOpenSshClient(tool: 'ssh' | 'sftp', argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, argv, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)),
    );
  });
}
