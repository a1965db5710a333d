/**
 * The progress tracker and the setup display, fed with the real output of ansible-playbook running a
 * small playbook (test/setup/fixtures/progress.yml) on three local-connection hosts.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnsibleEvent,
  AnsibleProgressTracker,
  parseTaskList,
} from '../../src/setup/ansible-progress.js';
import { countTasks } from '../../src/setup/run-ansible.js';
import {
  createTaskCounter,
  estimateTaskCount,
  rememberTaskCount,
  taskCountKey,
} from '../../src/setup/task-estimate.js';
import {
  createSetupDisplay,
  formatElapsed,
  renderBar,
  renderLiveBlock,
} from '../../src/ui/setup-progress.js';
import { captureStream } from '../helpers/streams.js';

const playbook = join(import.meta.dirname, 'fixtures', 'progress.yml');
let dir: string;
let inventory: string;
let output: string[];
const env = {
  ANSIBLE_CALLBACK_RESULT_FORMAT: 'json',
  ANSIBLE_RETRY_FILES_ENABLED: 'no',
  ANSIBLE_NOCOLOR: '1',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'herd-ansible-progress-'));
  inventory = join(dir, 'inventory');
  const host = (name: string) =>
    `${name} ansible_connection=local ansible_python_interpreter=/usr/bin/python3`;
  await writeFile(inventory, `${['a', 'b', 'c'].map(host).join('\n')}\n`);
  const run = await execa('ansible-playbook', ['-i', inventory, playbook], { env, reject: false, all: true });
  expect(run.exitCode, run.all).toBe(2);
  output = String(run.all).split('\n');
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AnsibleProgressTracker', () => {
  it('follows plays and tasks, counts changes, and reports only the failure that was not ignored', () => {
    let clock = 0;
    const tracker = new AnsibleProgressTracker(() => clock);
    const events: AnsibleEvent[] = [];
    for (const line of output) {
      clock += 10;
      events.push(...tracker.push(line));
    }
    events.push(...tracker.flush());
    expect(events.filter((e) => e.type === 'play').map((e) => e.type === 'play' && e.name)).toEqual([
      'First play',
      'Second play',
    ]);
    expect(events.filter((e) => e.type === 'task').map((e) => e.type === 'task' && e.name)).toEqual([
      'Say hello',
      'Skip on b',
      'Loop over items',
      'Fail but ignore',
      'Break on c',
      'After the break',
    ]);
    const plays = events.flatMap((e) => (e.type === 'play-done' ? [e.summary] : []));
    expect(plays.map(({ durationMs: _, ...p }) => p)).toEqual([
      { index: 1, name: 'First play', tasks: 4, hosts: 3, changed: 9, failed: [] },
      { index: 2, name: 'Second play', tasks: 2, hosts: 3, changed: 2, failed: ['c'] },
    ]);
    expect(events.filter((e) => e.type === 'failure')).toEqual([
      { type: 'failure', host: 'c', task: 'Break on c', message: 'c is broken', unreachable: false },
    ]);
    expect(tracker.snapshot).toMatchObject({ tasksStarted: 6, failedHosts: ['c'] });
  });

  it('knows mid-task which hosts are done and changed', () => {
    const tracker = new AnsibleProgressTracker();
    // The first result of the loop task (hosts answer in any order).
    const upTo = output.findIndex(
      (l, i) =>
        i > output.indexOf(output.find((x) => x.startsWith('TASK [Loop'))!) && l.startsWith('changed: ['),
    );
    for (const line of output.slice(0, upTo + 1)) tracker.push(line);
    expect(tracker.snapshot).toMatchObject({
      play: 'First play',
      playIndex: 1,
      task: 'Loop over items',
      tasksStarted: 3,
      taskHosts: 3,
      taskDone: 1,
      taskChanged: 1,
      failedHosts: [],
    });
  });

  it('knows how many hosts a task has: unknown at first, then from the run, then from the play', () => {
    const tracker = new AnsibleProgressTracker();
    const feedUntil = (predicate: (line: string) => boolean) => {
      for (const line of output.splice(0, output.findIndex(predicate) + 1)) tracker.push(line);
    };
    const saved = [...output];
    try {
      feedUntil((l) => l.startsWith('changed: ['));
      expect(tracker.snapshot).toMatchObject({ task: 'Say hello', taskDone: 1, taskHosts: undefined });
      feedUntil((l) => l.startsWith('TASK [Break on c]'));
      expect(tracker.snapshot).toMatchObject({ play: 'Second play', taskDone: 0, taskHosts: 3 });
    } finally {
      output.splice(0, output.length, ...saved);
    }
  });

  it('estimates a run from --list-tasks and the last run of the same playbook, whichever is more', async () => {
    const invocation = { command: 'ansible-playbook', args: ['-i', inventory, playbook], env };
    const counter = createTaskCounter();
    for (const line of output) counter.push(line);
    expect(counter.count).toBe(6);
    const storage = join(dir, 'storage');
    expect(await estimateTaskCount(invocation, storage, 'pb')).toBe(6);
    await rememberTaskCount(storage, 'pb', 11);
    expect(await estimateTaskCount(invocation, storage, 'pb')).toBe(11);
    expect(await estimateTaskCount(invocation, storage, 'other')).toBe(6);
    // The record keys runs by a digest: extra vars given on the command line may hold secrets.
    const key = taskCountKey('site.yml', ['-e', 'password=hunter2']);
    await rememberTaskCount(storage, key, 9);
    expect(await readFile(join(storage, 'cache', 'ansible-tasks.json'), 'utf8')).not.toContain('hunter2');
    expect(
      await estimateTaskCount(invocation, storage, taskCountKey('site.yml', ['-e', 'password=hunter2'])),
    ).toBe(9);
    expect((await stat(join(storage, 'cache', 'ansible-tasks.json'))).mode & 0o777).toBe(0o600);
    await writeFile(join(storage, 'cache', 'ansible-tasks.json'), 'not json');
    expect(await estimateTaskCount(invocation, storage, 'pb')).toBe(6);
  });

  it('counts the tasks --list-tasks lists, for the same invocation', async () => {
    const count = await countTasks({ command: 'ansible-playbook', args: ['-i', inventory, playbook], env });
    expect(count).toBe(6);
    expect(
      parseTaskList('  play #1 (all): X\tTAGS: []\n    tasks:\n      a\tTAGS: []\n      b\tTAGS: [x]\n'),
    ).toEqual({
      plays: 1,
      tasks: 2,
    });
    expect(
      await countTasks({
        command: 'ansible-playbook',
        args: ['-i', inventory, join(dir, 'missing.yml')],
        env,
      }),
    ).toBe(undefined);
  });
});

describe('setup display', () => {
  it('off a terminal: one line per play and failures at once, nothing else', () => {
    const out = captureStream();
    let clock = 0;
    const display = createSetupDisplay('Configure 3 node(s) with Ansible', {
      stream: out.stream,
      tty: false,
      now: () => (clock += 100),
    });
    for (const line of output) display.line(line);
    const summary = display.finish();
    expect(out.text().split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        /^ {2}play 1 "First play": 4 task\(s\) on 3 host\(s\), 9 changed, 0 failed \(\d+:\d\d\)$/,
      ),
      '  FAILED c in task "Break on c": c is broken',
      expect.stringMatching(
        /^ {2}play 2 "Second play": 2 task\(s\) on 3 host\(s\), 2 changed, failed on c \(\d+:\d\d\)$/,
      ),
    ]);
    expect(summary).toMatch(/^6 task\(s\) in \d+:\d\d$/);
  });

  it('on a terminal: a live block redrawn in place, the failure printed above it, all erased at the end', () => {
    const out = captureStream();
    const display = createSetupDisplay('Configure 3 node(s)', {
      stream: out.stream,
      tty: true,
      now: () => 0,
      tickMs: 0,
    });
    display.expectTasks(6);
    for (const line of output) display.line(line);
    display.finish();
    const text = out.text();
    expect(text).toContain('Configure 3 node(s)  [####################] 6/6 tasks  0:00');
    expect(text).toContain('  play 2: Second play');
    expect(text).toContain('  task After the break: 0/3 host(s) done, 0 changed, 1 failed (c)');
    expect(text).toContain('\x1b[3A\r\x1b[J  FAILED c in task "Break on c": c is broken\n');
    // The last thing written erases the block.
    expect(text).toMatch(/\x1b\[\dA\r\x1b\[J$/);
  });

  it('shows nothing for a step without Ansible output', () => {
    const out = captureStream();
    const display = createSetupDisplay('Terminate 3 node(s)', { stream: out.stream, tty: true, tickMs: 0 });
    expect(display.finish()).toBe('');
    expect(out.text()).toBe('');
  });

  it('stops the bar short of full when more tasks start than estimated', () => {
    const snapshot = {
      play: 'P',
      playIndex: 1,
      task: 'T',
      tasksStarted: 9,
      taskHosts: 2,
      taskDone: 0,
      taskChanged: 0,
      failedHosts: [],
    };
    expect(renderLiveBlock('Setup', snapshot, 12, 0)[0]).toBe(
      'Setup  [###############-----] 9/12 tasks  0:00',
    );
    expect(renderLiveBlock('Setup', snapshot, 6, 0)[0]).toBe(
      'Setup  [###################-] 9/6+ tasks  0:00',
    );
  });

  it('renders the pieces', () => {
    expect(renderBar(3, 12, 8)).toBe('[##------]');
    expect(renderBar(20, 12, 8)).toBe('[########]');
    expect(formatElapsed(7_900)).toBe('0:07');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
    expect(
      renderLiveBlock(
        'Setup',
        {
          play: 'P',
          playIndex: 2,
          task: 'T',
          tasksStarted: 9,
          taskHosts: 4,
          taskDone: 1,
          taskChanged: 1,
          failedHosts: [],
        },
        undefined,
        65_000,
      ),
    ).toEqual(['Setup  9 task(s)  1:05', '  play 2: P', '  task T: 1/4 host(s) done, 1 changed, 0 failed']);
  });
});
