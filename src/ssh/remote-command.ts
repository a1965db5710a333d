/**
 * The command line `herd exec` sends to a node. The user's command runs in its own session (process
 * group) under the login shell, with stdin from /dev/null; a watcher reads the SSH channel's stdin,
 * which herd never writes to, and when it ends (herd cancelled or timed out the node, or the
 * connection broke) it sends SIGTERM to the whole group and SIGKILL 3 s later. Cancelling therefore
 * ends every process the command started, which closing the channel alone does not do (sshd sends
 * no signal to a command without a terminal).
 */
import { shellQuote } from './openssh.js';

const WRAPPER = [
  'exec 3<&0',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
  'if command -v setsid >/dev/null 2>&1; then setsid "${SHELL:-/bin/sh}" -c "$1" </dev/null & else "${SHELL:-/bin/sh}" -c "$1" </dev/null & fi',
  'pid=$!',
  '(while read -r _ <&3; do :; done; kill -TERM -$pid 2>/dev/null || kill -TERM $pid 2>/dev/null; sleep 3 3<&-; kill -KILL -$pid 2>/dev/null || kill -KILL $pid 2>/dev/null) >/dev/null 2>&1 &',
  'watch=$!',
  'exec 3<&-',
  'wait $pid',
  'rc=$?',
  'kill $watch 2>/dev/null',
  'exit $rc',
].join('\n');

/** The remote command line for `command` (run by the login shell, so it must be plain POSIX sh). */
export function wrapRemoteCommand(command: string): string {
  return `exec /bin/sh -c ${shellQuote(WRAPPER)} herd-exec ${shellQuote(command)}`;
}
