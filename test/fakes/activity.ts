/**
 * When a fake cloud's clients are done with it: no connection open, no request being answered. A
 * test that killed herd waits for this before it looks at what herd made, instead of sleeping: the
 * requests herd sent before it died are answered (or dropped) by then, whatever the machine's load.
 * It imports only node: modules, like the fakes that use it.
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** Counts a server's open connections and the requests it is still answering. */
export class ServerActivity {
  private connections = 0;
  private answering = 0;

  constructor(server: Server) {
    server.on('connection', (socket) => {
      this.connections++;
      socket.once('close', () => {
        this.connections--;
      });
    });
  }

  /** Counts `answer` (a request's handling) until it settles. */
  track(answer: Promise<void>): Promise<void> {
    this.answering++;
    return answer.finally(() => {
      this.answering--;
    });
  }

  /** No client is connected and no request is being answered. */
  get quiet(): boolean {
    return this.connections === 0 && this.answering === 0;
  }
}

/**
 * Resolves once `done()` holds, checked every few milliseconds (the fakes' own timers move their
 * resources on, so there is no single event to wait for), and still holds after a timer: the event
 * loop has then polled the server's sockets, so a connection a killed client made just before it
 * died has been accepted and counts. A client that keeps a connection open (HTTP keep-alive) holds
 * this up until the connection closes.
 */
export async function waitUntil(done: () => boolean): Promise<void> {
  for (let holds = 0; holds < 2; holds = done() ? holds + 1 : 0) await sleep(5);
}
