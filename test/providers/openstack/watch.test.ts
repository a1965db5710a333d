/** The shared polling loop: one server list per round, whoever is waiting. */
import { describe, expect, it } from 'vitest';
import type { NovaServer } from '../../../src/providers/openstack/nova.js';
import { ServerWatch } from '../../../src/providers/openstack/watch.js';

/** A cloud where server `id` turns ACTIVE on the `readyAt`-th list. */
function cloud(readyAt: Record<string, number>) {
  let calls = 0;
  const list = async (): Promise<NovaServer[]> => {
    calls++;
    return Object.entries(readyAt).map(([id, at]) => ({
      id,
      name: id,
      status: calls >= at ? 'ACTIVE' : 'BUILD',
    }));
  };
  return { list, calls: () => calls };
}

const active = (s: NovaServer | undefined) => s?.status === 'ACTIVE';

describe('ServerWatch', () => {
  it('answers every waiter from one list per round', async () => {
    const c = cloud({ a: 1, b: 2, c: 3, d: 3 });
    const watch = new ServerWatch(c.list, { firstDelayMs: 1, maxDelayMs: 2 });
    const far = Date.now() + 60_000;
    const [first, second, third] = await Promise.all([
      watch.until(['a'], active, far),
      watch.until(['b', 'c'], active, far),
      watch.until(['d'], active, far),
    ]);
    expect(c.calls()).toBe(3);
    expect(first.get('a')?.status).toBe('ACTIVE');
    expect([...second.values()].map((s) => s?.status)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(third.get('d')?.status).toBe('ACTIVE');
  });

  it('gives up at the deadline with the last view, and reports unknown ids as undefined', async () => {
    const c = cloud({ a: 1000 });
    const watch = new ServerWatch(c.list, { firstDelayMs: 1, maxDelayMs: 1 });
    const view = await watch.until(['a', 'gone'], active, Date.now() + 20);
    expect(view.get('a')?.status).toBe('BUILD');
    expect(view.has('gone')).toBe(true);
    expect(view.get('gone')).toBeUndefined();
  });

  it('rejects every waiter when the list fails', async () => {
    const watch = new ServerWatch(
      async () => {
        throw new Error('cloud down');
      },
      { firstDelayMs: 1, maxDelayMs: 1 },
    );
    const far = Date.now() + 60_000;
    const results = await Promise.allSettled([
      watch.until(['a'], active, far),
      watch.until(['b'], active, far),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
