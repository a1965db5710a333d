import type { CommandModule } from 'yargs';
import { checkCommand } from './check.js';
import { completionCommand } from './completion.js';
import { execCommand } from './exec.js';
import { listCommand } from './list.js';
import { listNodesCommand } from './list-nodes.js';
import { listTemplatesCommand } from './list-templates.js';
import { pauseCommand } from './pause.js';
import { removeNodeCommand } from './remove-node.js';
import { resizeCommand } from './resize.js';
import { resumeCommand } from './resume.js';
import { setupCommand } from './setup.js';
import { sftpCommand, sshCommand } from './ssh.js';
import { startCommand } from './start.js';
import { stopCommand } from './stop.js';
import { getCommand, putCommand } from './transfer.js';

/** Every registered command (only commands that work are registered). */
// biome-ignore lint/suspicious/noExplicitAny: yargs' CommandModule generics differ per command.
export const commands: CommandModule<any, any>[] = [
  startCommand,
  stopCommand,
  listCommand,
  listNodesCommand,
  listTemplatesCommand,
  setupCommand,
  resizeCommand,
  removeNodeCommand,
  pauseCommand,
  resumeCommand,
  sshCommand,
  sftpCommand,
  execCommand,
  putCommand,
  getCommand,
  checkCommand,
  completionCommand,
];
