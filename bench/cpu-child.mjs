// One variant of the in-process CPU mode: `node bench/cpu-child.mjs <variant>`, forked by
// bench/cpu.mjs. Builds the variant's Nest app (bench/apps.mjs), never listens, and drives it with
// no sockets: light-my-request on Express's request handler, Fastify's own inject() on Fastify.
// The parent sends { run: workload, requests, warmup } and gets back the process's CPU time and
// the wall time of the measured batch, and what the checks found.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createApp } from './apps.mjs';
import { mergeCookies } from './cookie-jar.mjs';
import { VARIANTS, WORKLOADS } from './variants.mjs';

const variant = VARIANTS.find((v) => v.name === process.argv[2]);
if (!variant) {
  console.error(`unknown variant ${process.argv[2]}`);
  process.exit(2);
}
const LIB_PATH = process.env.BENCH_LIB_SNAPSHOT ?? process.env.BENCH_LIB;
const LIB = LIB_PATH
  ? pathToFileURL(resolve(LIB_PATH)).href
  : new URL('../dist/esm/index.js', import.meta.url).href;
const hasSession = variant.kind === 'lib' || variant.kind === 'peer';

/** `inject({ method, url, headers })` → { status, body, setCookie: string[] } */
async function injector(app) {
  const instance = app.getHttpAdapter().getInstance();
  let send;
  if (variant.platform === 'fastify') {
    await instance.ready();
    send = (options) => instance.inject(options);
  } else {
    const { inject } = await import('light-my-request');
    send = (options) => inject(instance, options);
  }
  return async (options) => {
    const response = await send(options);
    const raw = response.headers['set-cookie'];
    return {
      status: response.statusCode,
      body: response.payload,
      setCookie: raw === undefined ? [] : Array.isArray(raw) ? raw : [raw],
    };
  };
}

const app = await createApp(variant, LIB, []);
const inject = await injector(app);

/** A fresh session (POST /setup) and its Cookie header; '' for the variants without sessions. */
async function setup() {
  const response = await inject({ method: 'POST', url: '/setup' });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`POST /setup answered ${response.status} ${response.body.slice(0, 200)}`);
  const cookie = mergeCookies('', response.setCookie);
  if (hasSession && !cookie) throw new Error('POST /setup set no session cookie');
  return cookie;
}

/** Requests sent between two turns of the event loop (see `batch`). */
const REQUESTS_PER_TURN = 16;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Send `count` requests of the workload one after the other. Every answer is checked: a wrong one
 * is counted (and the first few kept), so a variant that loses its session cannot look fast.
 * Returns the tally; the caller times the whole batch.
 *
 * Every `REQUESTS_PER_TURN` requests the loop lets the event loop turn, as a server's does between
 * the requests it reads from its sockets. Without that, an injected request's response is never
 * freed until the batch ends: light-my-request's stand-in socket finishes each write with
 * `setImmediate`, and a chain of awaited injections resolved by `nextTick` never reaches that
 * phase. About 9.4 KB per request then piled up (190 MB per 20,000 requests), and the garbage
 * collector's work on that pile was most of the noise between rounds, in every variant alike.
 */
async function batch(workload, count, cookie, tally) {
  const options = { method: workload.method, url: workload.path, headers: {} };
  let counter = 0;
  for (let i = 0; i < count; i++) {
    if (i % REQUESTS_PER_TURN === REQUESTS_PER_TURN - 1) await nextTurn();
    if (workload.cookie) options.headers.cookie = cookie;
    const { status, body, setCookie } = await inject(options);
    let wrong = null;
    if (status < 200 || status >= 300) wrong = `status ${status}: ${body.slice(0, 120)}`;
    else if (workload.name === 'read' && body !== '3') wrong = `read answered ${body.slice(0, 80)}`;
    else if (workload.name === 'write' && hasSession && body !== String(++counter))
      wrong = `write answered ${body.slice(0, 80)}, expected ${counter} (session lost?)`;
    else if ((workload.name === 'untouched' || workload.name === 'login') && body !== 'ok')
      wrong = `${workload.name} answered ${body.slice(0, 80)}`;
    else if (workload.name === 'login' && hasSession && !setCookie.some((h) => !/^[^=]+=;/.test(h)))
      wrong = 'login set no session cookie';
    if (wrong) {
      tally.wrong++;
      if (tally.samples.length < 3) tally.samples.push(wrong);
    }
    if (workload.name === 'login') tally.lastLoginCookie = setCookie;
    else if (setCookie.length) cookie = mergeCookies(cookie, setCookie);
  }
  tally.checked += count;
  return cookie;
}

/** After a login batch (not timed): the last session created must read back its cart. */
async function verifyLogin(tally) {
  if (!hasSession) return;
  const cookie = mergeCookies('', tally.lastLoginCookie ?? []);
  const response = await inject({ method: 'GET', url: '/cart', headers: { cookie } });
  tally.checked++;
  if (response.body !== '3') {
    tally.wrong++;
    tally.samples.push(`GET /cart after login answered ${response.body.slice(0, 80)}`);
  }
}

/**
 * CPU time of this process's main thread in ns (Linux: /proc/self/task/<pid>/schedstat), or null.
 * process.cpuUsage() counts every thread, V8's GC and compiler helpers included; this one only
 * the thread that runs the requests.
 */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
function mainThreadNs() {
  try {
    return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

let profiler;
async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiler.post('Profiler.start');
}
async function stopProfile(file) {
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
}

async function run({ run: name, requests, warmup, profile }) {
  const workload = WORKLOADS.find((w) => w.name === name);
  const tally = { checked: 0, wrong: 0, samples: [] };
  let cookie = workload.cookie ? await setup() : '';
  if (warmup > 0) {
    // Checked too, but not counted in `checked`: a wrong warm-up answer still marks the variant.
    const warm = { checked: 0, wrong: 0, samples: [] };
    cookie = await batch(workload, warmup, cookie, warm);
    tally.wrong += warm.wrong;
    tally.samples.push(...warm.samples.map((sample) => `(warm-up) ${sample}`));
  }
  // The write check counts from the counter the session holds now: start a fresh session.
  if (workload.name === 'write') cookie = await setup();
  if (profile) await startProfile();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadNs();
  const wallBefore = process.hrtime.bigint();
  await batch(workload, requests, cookie, tally);
  const wallNs = Number(process.hrtime.bigint() - wallBefore);
  const cpu = process.cpuUsage(cpuBefore);
  const mainAfter = mainThreadNs();
  const heapAfter = process.memoryUsage().heapUsed;
  if (profile) await stopProfile(profile);
  if (workload.name === 'login') await verifyLogin(tally);
  return {
    requests,
    cpuUsPerReq: (cpu.user + cpu.system) / requests,
    wallUsPerReq: wallNs / 1_000 / requests,
    mainUsPerReq:
      mainBefore === null || mainAfter === null
        ? null
        : (mainAfter - mainBefore) / 1_000 / requests,
    heapDeltaMb: (heapAfter - heapBefore) / 1_048_576,
    checked: tally.checked,
    wrong: tally.wrong,
    wrongSamples: tally.samples,
  };
}

process.on('message', (message) => {
  if (message === 'stop') {
    void app.close().finally(() => process.exit(0));
    return;
  }
  if (!message?.run) return;
  run(message).then(
    (result) => process.send({ result }),
    (error) => process.send({ error: error?.stack ?? String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, pid: process.pid });
