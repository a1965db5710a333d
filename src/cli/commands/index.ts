/**
 * Every command herd has, declared once: name, arguments, options with their help, examples, and the
 * handler loaded on use. yargs' registration (src/cli/yargs-commands.ts), the quick parser
 * (src/cli/quick-parse.ts), "did you mean --x?" and shell completion are all derived from this list.
 */
import type { CommandDecl, OptionDecl, PositionalDecl } from '../declare.js';

/** Default number of nodes worked on at once (pdsh's default fanout). */
export const DEFAULT_FANOUT = 32;

/** Help text on selectors, shared by the epilogues of exec, put and get. */
export const SELECTOR_HELP = `Selectors (SELECTOR words and -n values; commas separate several):
  compute001, compute[001-010,015], compute0*   node names, with ranges and globs
  compute                                       a kind (also -k compute)
  state=ready, ip=10.77.0.*, flavor!=t3.*       filters on name, kind, state, ip, private_ip,
                                                public_ip, flavor, instance
Names and kinds add nodes; -k and filters narrow them. Default: every node.`;

const cluster: PositionalDecl = {
  name: 'cluster',
  required: true,
  describe: 'Cluster name',
  value: 'cluster',
};

const json = (describe: string): OptionDecl => ({ type: 'boolean', describe });

const setup = (describe: string): OptionDecl => ({ type: 'boolean', default: true, describe });

/** Which nodes and how many at once: exec, put and get. */
const selection: Readonly<Record<string, OptionDecl>> = {
  kind: {
    alias: 'k',
    type: 'string',
    array: true,
    describe: 'Only nodes of this kind (repeat or comma-separate for several)',
    value: 'kind',
  },
  nodes: {
    alias: 'n',
    type: 'string',
    array: true,
    describe: 'Node names (globs, ranges: compute[001-010]) or filters (state=ready, ip=10.77.0.*)',
    value: 'node',
  },
  all: { type: 'boolean', describe: 'Every node of the cluster (the default)' },
  fanout: {
    alias: 'f',
    type: 'number',
    default: DEFAULT_FANOUT,
    describe: 'Nodes worked on at once',
    value: 'text',
  },
  json: json('One JSON object per node (NDJSON) on stdout'),
};

function sshLike(tool: 'ssh' | 'sftp'): CommandDecl {
  const what = tool === 'ssh' ? 'an SSH' : 'an SFTP';
  return {
    name: tool,
    describe: `Open ${what} session to the frontend (or -n NODE_OR_KIND); arguments after -- go to ${tool}`,
    positionals: [cluster],
    options: {
      node: {
        alias: 'n',
        type: 'string',
        describe: 'Node name or kind (default: ssh_to, else the frontend)',
        value: 'node',
      },
    },
    examples: [
      [`$0 ${tool} mycluster`, 'connect to the frontend'],
      [
        tool === 'ssh'
          ? '$0 ssh mycluster -n compute002 -- hostname -f'
          : '$0 sftp mycluster -- -b batchfile',
        'pass arguments',
      ],
    ],
    load: async () => (await import('./ssh.js')).sshHandler(tool),
  };
}

function transfer(verb: 'put' | 'get'): CommandDecl {
  const put = verb === 'put';
  return {
    name: verb,
    describe: put
      ? 'Copy files to nodes over SFTP: [SELECTOR] LOCAL... REMOTE'
      : 'Copy files from nodes into DIR/<node>/: [SELECTOR] REMOTE DIR',
    positionals: [
      cluster,
      {
        name: 'paths',
        required: true,
        variadic: true,
        describe: put ? '[SELECTOR] LOCAL... REMOTE' : '[SELECTOR] REMOTE LOCALDIR',
        value: 'file',
      },
    ],
    options: selection,
    examples: [
      put
        ? ['$0 put mycluster ./job.sh /tmp/', 'to every node']
        : ['$0 get mycluster /var/log/syslog ./logs', 'into ./logs/<node>/syslog'],
      put
        ? ['$0 put mycluster -k compute ./data /srv/', 'a directory to the compute nodes']
        : ["$0 get mycluster 'compute[001-004]' /etc/slurm ./conf", 'a directory from four nodes'],
    ],
    epilog: `${SELECTOR_HELP}\n${put ? 'With three or more words, the first is a selector unless a local file of that name exists; -n is never ambiguous. ' : ''}Relative remote paths start in the login user's home. Exit status: 0 when every node succeeded, else 1.`,
    load: async () => (await import('./transfer.js')).transferHandler(verb),
  };
}

/** Every registered command (only commands that work are registered), in the order help lists them. */
export const COMMANDS: readonly CommandDecl[] = [
  {
    name: 'start',
    describe: 'Start a cluster from a template, or finish starting one that was interrupted',
    positionals: [
      { name: 'template', required: true, describe: 'Name of a [cluster/NAME] section', value: 'template' },
    ],
    options: {
      name: {
        alias: 'n',
        type: 'string',
        describe: 'Cluster name (default: the template name)',
        value: 'text',
      },
      nodes: {
        type: 'string',
        describe: 'Node counts N:KIND[,N:KIND...] overriding the template',
        value: 'text',
      },
      setup: setup('Run Ansible after the nodes are up (--no-setup skips it)'),
      'idle-stop': {
        type: 'number',
        describe:
          'Minutes without a Slurm job or SSH session after which the cluster powers itself off (idle_stop_minutes; 0 = never)',
        value: 'text',
      },
      json: json('Print the resulting cluster (or the plan) as JSON'),
      'dry-run': {
        type: 'boolean',
        describe: 'Print what would be created and configured, checked with read-only calls; create nothing',
      },
    },
    examples: [
      ['$0 start slurm', 'start the [cluster/slurm] template'],
      ['$0 start slurm -n big --nodes 10:compute', 'a second cluster with 10 compute nodes'],
    ],
    load: async () => (await import('./start.js')).handler,
  },
  {
    name: 'stop',
    describe: 'Terminate every node of a cluster and forget it',
    positionals: [cluster],
    options: {
      yes: { type: 'boolean', describe: 'Do not ask for confirmation (needed when not on a terminal)' },
      force: { type: 'boolean', describe: 'Go on past errors terminating some nodes' },
      wait: { type: 'boolean', describe: 'Wait until the cloud reports every node terminated' },
      json: json('Print what was terminated as JSON'),
    },
    load: async () => (await import('./stop.js')).handler,
  },
  {
    name: 'pause',
    describe: 'Stop every node of a cluster and keep its disks (herd resume starts them again)',
    positionals: [cluster],
    options: {
      'terminate-unstoppable': {
        type: 'boolean',
        describe: 'Terminate the nodes the cloud cannot stop (e.g. EC2 spot) instead of refusing to pause',
      },
      json: json('Print what was stopped as JSON'),
    },
    examples: [['$0 pause slurm', 'stop the nodes; nothing runs (or is billed for compute) until resume']],
    epilog:
      'Run it again to finish a pause that was cut short. While paused, ssh, exec, put, get, setup and resize exit with code 3; stop still works.',
    load: async () => (await import('./pause.js')).handler,
  },
  {
    name: 'resume',
    describe: 'Start the nodes of a paused cluster (or one that stopped itself when idle) again',
    positionals: [cluster],
    options: {
      setup: setup('Run Ansible again when a node came back with another address (--no-setup skips it)'),
      json: json('Print the resumed cluster as JSON'),
    },
    examples: [['$0 resume slurm', 'start the nodes, wait for SSH, fix addresses that changed']],
    epilog:
      'Nodes keep their disks and host keys; a node that answers with another host key is refused. Run it again to finish a resume that was cut short.',
    load: async () => (await import('./resume.js')).handler,
  },
  {
    name: 'list',
    describe: 'List the clusters herd knows (from local state; -u asks their clouds first)',
    positionals: [],
    options: {
      update: {
        alias: 'u',
        type: 'boolean',
        describe:
          "Ask each cluster's cloud for its node states first (records clusters that stopped themselves as paused (idle))",
      },
      json: json('Print JSON'),
    },
    examples: [
      ['$0 list', 'from local state, no cloud call'],
      ['$0 list -u', 'ask the clouds first: shows clusters that stopped themselves when idle'],
    ],
    epilog:
      'With -u, a cluster whose cloud cannot be asked is listed as last saved, with a warning, and the exit status is 1; a cluster another herd is working on (locked) is listed as last saved, with a note.',
    load: async () => (await import('./list.js')).handler,
  },
  {
    name: 'list-nodes',
    describe: 'Show the nodes of a cluster',
    positionals: [cluster],
    options: {
      update: {
        alias: 'u',
        type: 'boolean',
        describe: 'Ask the cloud for current node states and IPs first',
      },
      json: json('Print JSON'),
    },
    load: async () => (await import('./list-nodes.js')).handler,
  },
  {
    name: 'list-templates',
    describe: 'List the cluster templates of the configuration (invalid ones with their errors)',
    positionals: [
      {
        name: 'globs',
        required: false,
        variadic: true,
        describe: 'Only templates matching these shell globs',
        value: 'template',
      },
    ],
    options: { json: json('Print JSON') },
    examples: [
      ['$0 list-templates', 'every template'],
      ["$0 list-templates '*slurm*'", 'templates whose name contains slurm'],
    ],
    load: async () => (await import('./list-templates.js')).handler,
  },
  {
    name: 'setup',
    describe:
      'Run Ansible on every node of a cluster again, unless nothing changed since the last finished setup (arguments after -- go to ansible-playbook)',
    positionals: [cluster],
    options: {
      json: json('Print the cluster as JSON when done, with setupRan: false when nothing needed to run'),
      force: {
        type: 'boolean',
        describe:
          'Run Ansible even when nothing changed since the last finished setup (to repair changes made by hand on the nodes)',
      },
    },
    examples: [
      ['$0 setup slurm', 're-run the playbooks (skipped when nothing changed since the last run)'],
      ['$0 setup slurm --force', 'run them even so'],
      ['$0 setup slurm -- --tags addresses --check', 'pass options to ansible-playbook'],
    ],
    load: async () => (await import('./setup.js')).handler,
  },
  {
    name: 'resize',
    describe: 'Add or remove nodes (removed nodes are drained in Slurm first)',
    positionals: [cluster],
    options: {
      add: { alias: 'a', type: 'string', describe: 'Nodes to add, N:KIND[,N:KIND...]', value: 'text' },
      remove: {
        alias: 'r',
        type: 'string',
        describe: 'Nodes to remove (highest-numbered first), N:KIND[,...]',
        value: 'text',
      },
      setup: setup('Re-run Ansible on all nodes afterwards (--no-setup skips)'),
      yes: { type: 'boolean', describe: 'Do not ask before removing nodes' },
      json: json('Print the resulting cluster (or the plan) as JSON'),
      'dry-run': {
        type: 'boolean',
        describe:
          'Print what would be added, removed and configured, checked with read-only calls; change nothing',
      },
    },
    examples: [
      ['$0 resize mycluster -a 2:compute', 'add two compute nodes'],
      ['$0 resize mycluster -r 1:compute --yes', 'remove compute node with the highest number'],
    ],
    load: async () => (await import('./resize.js')).handler,
  },
  {
    name: 'remove-node',
    describe: 'Remove one node from a cluster (drained in Slurm first)',
    positionals: [
      cluster,
      { name: 'node', required: true, describe: 'Node name, e.g. compute002', value: 'node-name' },
    ],
    options: {
      yes: { type: 'boolean', describe: 'Do not ask for confirmation' },
      setup: setup('Re-run Ansible afterwards (--no-setup skips)'),
      json: json('Print the resulting cluster as JSON'),
    },
    load: async () => (await import('./remove-node.js')).handler,
  },
  sshLike('ssh'),
  sshLike('sftp'),
  {
    name: 'exec',
    describe: 'Run a command on many nodes in parallel (command after --)',
    positionals: [
      cluster,
      {
        name: 'selectors',
        required: false,
        variadic: true,
        describe: 'Which nodes (see below)',
        value: 'node',
      },
    ],
    options: {
      ...selection,
      group: {
        alias: 'g',
        type: 'boolean',
        describe: 'Print each output once, under the nodes that printed it (like dshbak -c)',
      },
      timeout: {
        alias: 't',
        type: 'number',
        describe: 'Seconds one node may take; then its command is ended',
        value: 'text',
      },
    },
    examples: [
      ['$0 exec mycluster -- uptime', 'on every node'],
      ["$0 exec mycluster 'compute[001-004]' -- df -h /", 'on four compute nodes'],
      ['$0 exec mycluster -k compute --group -- systemctl is-active slurmd', 'grouped output'],
    ],
    epilog: `${SELECTOR_HELP}\nExit status: 0 when the command exited 0 on every node, else 1 (130 on Ctrl-C).`,
    load: async () => (await import('./exec.js')).handler,
  },
  transfer('put'),
  transfer('get'),
  {
    name: 'export',
    describe: 'Write a cluster (state, host keys, key pair; no cloud secret) to a .tar.gz for herd import',
    positionals: [cluster],
    options: {
      output: {
        alias: 'o',
        type: 'string',
        describe: 'Archive to write (mode 0600; an existing file is not overwritten)',
        value: 'file',
      },
      'private-key': {
        type: 'boolean',
        default: true,
        describe: 'Include the generated private key (--no-private-key leaves it out)',
      },
      json: json('Print what was written as JSON'),
    },
    load: async () => (await import('./export.js')).handler,
  },
  {
    name: 'import',
    describe: 'Add a cluster from an archive of herd export to this storage directory',
    positionals: [
      { name: 'file', required: true, describe: 'Archive written by herd export', value: 'file' },
    ],
    options: {
      name: {
        alias: 'n',
        type: 'string',
        describe:
          'Name of the cluster here (default: its exported name); an existing cluster is never replaced',
        value: 'text',
      },
      json: json('Print the result as JSON'),
    },
    load: async () => (await import('./import.js')).handler,
  },
  {
    name: 'check',
    describe: 'Check clouds, host, Ansible and templates (read-only calls)',
    positionals: [
      {
        name: 'clouds',
        required: false,
        variadic: true,
        describe: 'Only these [cloud/NAME] sections (and their templates)',
        value: 'cloud',
      },
    ],
    options: { json: json('Print the checks as JSON') },
    examples: [
      ['$0 check', 'everything the configuration uses'],
      ['$0 check aws', 'one cloud and its templates'],
    ],
    epilog: 'Exit status: 0 when no check failed (warnings allowed), 1 otherwise.',
    load: async () => (await import('./check.js')).handler,
  },
  {
    name: 'completion',
    describe: 'Print the bash or zsh completion script',
    positionals: [
      { name: 'shell', required: false, describe: 'bash or zsh (default: from $SHELL)', value: 'shell' },
    ],
    options: {},
    examples: [
      ['source <($0 completion bash)', 'in ~/.bashrc'],
      ['source <($0 completion zsh)', 'in ~/.zshrc, after compinit'],
    ],
    load: async () => (await import('./completion.js')).handler,
  },
];

/** The command named `name`, if herd has one. */
export function findCommand(name: string | undefined): CommandDecl | undefined {
  return COMMANDS.find((c) => c.name === name);
}
