// A ProxyCommand for tests: connects stdin/stdout to HOST:PORT (argv) and appends "HOST PORT" to the
// file named by argv[4], so a test can tell that a connection went through the proxy.
import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';

const [host, port, log] = process.argv.slice(2);
if (log) appendFileSync(log, `${host} ${port}\n`);
const socket = connect({ host, port: Number(port) }, () => {
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
});
socket.on('error', (err) => {
  process.stderr.write(`tcp-pipe: ${err.message}\n`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
