/**
 * One list call per polling round for the whole cluster, however many kinds are waiting: every wait
 * registers here, a single loop lists the cluster's servers (by tag) and hands each waiter the same
 * snapshot. The loop runs only while someone waits, backing off from `firstDelayMs` to `maxDelayMs`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../../errors.js';
import type { NovaServer } from './nova.js';

interface Waiter {
  ids: readonly string[];
  done: (server: NovaServer | undefined) => boolean;
  deadline: number;
  resolve: (servers: Map<string, NovaServer | undefined>) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
}

/** Waits on the cluster's servers with a shared list. */
export class ServerWatch {
  private readonly waiters = new Set<Waiter>();
  private running = false;

  constructor(
    private readonly list: () => Promise<NovaServer[]>,
    private readonly timing: { firstDelayMs: number; maxDelayMs: number },
  ) {}

  /**
   * Resolves with the latest view of `ids` (undefined = not listed) once `done` holds for each of them,
   * or at `deadline` (epoch ms) with whatever was seen last; rejects on abort or a failed list.
   */
  until(
    ids: readonly string[],
    done: (server: NovaServer | undefined) => boolean,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<Map<string, NovaServer | undefined>> {
    if (ids.length === 0) return Promise.resolve(new Map());
    return new Promise((resolve, reject) => {
      this.waiters.add({ ids, done, deadline, resolve, reject, signal });
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    let delay = this.timing.firstDelayMs;
    try {
      while (this.waiters.size > 0) {
        await sleep(delay);
        delay = Math.min(delay * 2, this.timing.maxDelayMs);
        for (const w of this.waiters) {
          if (w.signal?.aborted) {
            this.waiters.delete(w);
            w.reject(new AbortError());
          }
        }
        if (this.waiters.size === 0) break;
        let servers: NovaServer[];
        try {
          servers = await this.list();
        } catch (error) {
          for (const w of this.waiters) w.reject(error);
          this.waiters.clear();
          break;
        }
        const byId = new Map(servers.map((s) => [s.id, s]));
        const now = Date.now();
        for (const w of this.waiters) {
          const view = new Map(w.ids.map((id) => [id, byId.get(id)]));
          if (w.ids.every((id) => w.done(byId.get(id))) || now >= w.deadline) {
            this.waiters.delete(w);
            w.resolve(view);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
