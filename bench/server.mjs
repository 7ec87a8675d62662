// One benchmark variant as a Nest app listening on a socket, in its own process:
// `node bench/server.mjs <variant>`. Started by bench/run.mjs with fork(); listens on 127.0.0.1
// port 0 and reports `{ ready: true, port }` over IPC (or prints `READY <port>` when run by hand).
// The apps themselves (routes, payload, stores) are in bench/apps.mjs.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createApp } from './apps.mjs';
import { countStoreCalls, storeCalls, storeCallsByName } from './store-calls.mjs';
import { VARIANTS } from './variants.mjs';

const variant = VARIANTS.find((v) => v.name === process.argv[2]);
if (!variant) {
  console.error(
    `unknown variant ${process.argv[2]}; one of ${VARIANTS.map((v) => v.name).join(', ')}`,
  );
  process.exit(2);
}
// run.mjs passes a private copy of dist/ (BENCH_LIB_SNAPSHOT), safe from concurrent rebuilds.
const LIB_PATH = process.env.BENCH_LIB_SNAPSHOT ?? process.env.BENCH_LIB;
const LIB = LIB_PATH
  ? pathToFileURL(resolve(LIB_PATH)).href
  : new URL('../dist/esm/index.js', import.meta.url).href;

async function main() {
  // Before any client exists: every Redis command and PostgreSQL query is counted.
  countStoreCalls();
  const cleanups = [];
  const app = await createApp(variant, LIB, cleanups);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();
  const { port } = server.address();
  // Requests this process has served, and how many are still running: the runner's snapshots wait
  // until none is, so store calls per request divide whole requests' calls by whole requests.
  let served = 0;
  let inFlight = 0;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      served++;
    });
  });
  // A request autocannon aborted when it stopped is 'closed' at once, but its handler and commit
  // still run: wait until nothing is in flight and the store calls have stopped for 100 ms.
  const quiet = async () => {
    const total = () => storeCalls.redis + storeCalls.pg;
    let last = total();
    let stableFor = 0;
    for (let waited = 0; waited < 3_000 && (inFlight > 0 || stableFor < 100); waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
      stableFor = total() === last ? stableFor + 10 : 0;
      last = total();
    }
  };

  const stop = async () => {
    await app.close().catch(() => {});
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  // The runner asks for this process's CPU time and store round trips so far around each
  // measured run (µs per request is less disturbed by other load on a shared machine than req/s).
  // BENCH_CPU_PROF=1: the runner brackets each measured run with profile-start/profile-stop, and
  // this process writes a V8 CPU profile of just that run (no start-up, no warm-up).
  let profiler;
  process.on('message', async (message) => {
    if (message === 'cpu') {
      await quiet();
      process.send({
        cpu: process.cpuUsage(),
        storeCalls: { ...storeCalls },
        storeCallsByName: { ...storeCallsByName },
        served,
        inFlight,
      });
    }
    if (message?.profile === 'start') {
      const { Session: InspectorSession } = await import('node:inspector/promises');
      profiler = new InspectorSession();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.post('Profiler.start');
      process.send({ profiling: true });
    }
    if (message?.profile === 'stop' && profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const { dirname } = await import('node:path');
      mkdirSync(dirname(message.file), { recursive: true });
      writeFileSync(message.file, JSON.stringify(profile));
      process.send({ profiled: message.file });
    }
  });
  if (process.send) process.send({ ready: true, port, pid: process.pid });
  else console.log(`READY ${port}`);
}

main().catch((error) => {
  const message = error?.stack ?? String(error);
  if (process.send) process.send({ ready: false, error: message });
  console.error(message);
  process.exit(1);
});
