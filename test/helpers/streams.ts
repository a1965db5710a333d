/** A writable stream that keeps what is written, for testing output code. */
import { PassThrough } from 'node:stream';

/** The stream, and everything written to it so far. */
export function captureStream(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => {
    text += d;
  });
  return { stream, text: () => text };
}
