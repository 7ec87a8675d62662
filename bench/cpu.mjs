// The in-process CPU mode of `npm run bench` (`--mode cpu`): what one request costs in CPU time,
// with no sockets, no client in the way and no store server. See bench/README.md.
//
// Every variant is its own child process (bench/cpu-child.mjs), so that one variant's JIT and
// garbage do not bleed into another's; every round starts fresh ones. The rounds interleave:
// within a round, each workload's requests go in slices that alternate the variants, so a drift
// of the shared machine hits every variant alike.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.mjs';
import { progress } from './progress.mjs';
import { summarizeProfile } from './profile-summary.mjs';
import { cpuTargets, renderCpuMarkdown, summarizeCpu } from './cpu-summary.mjs';
import { WORKLOADS, variantsOf } from './variants.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** A child process running one variant; `run(message)` resolves with its batch result. */
function startChild(variant) {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'cpu-child.mjs'), [variant.name], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready message within 60 s; stderr: ${stderr.slice(-2_000)}`));
    }, 60_000);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before it was ready: ${stderr.slice(-2_000)}`));
    };
    child.once('exit', onExit);
    child.once('message', (message) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      if (!message?.ready) return reject(new Error(String(message?.error ?? 'not ready')));
      resolve({
        run: (request) =>
          new Promise((resolveRun, rejectRun) => {
            const onMessage = (answer) => {
              if (!answer?.result && !answer?.error) return;
              child.off('message', onMessage);
              child.off('exit', onDied);
              if (answer.error) rejectRun(new Error(answer.error));
              else resolveRun(answer.result);
            };
            const onDied = (code, signal) =>
              rejectRun(new Error(`died (${code ?? signal}): ${stderr.slice(-2_000)}`));
            child.on('message', onMessage);
            child.once('exit', onDied);
            child.send(request);
          }),
        stop: () =>
          new Promise((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(kill);
              r();
            });
            child.send('stop');
          }),
        stderr: () => stderr,
      });
    });
  });
}

/** Start a child per variant, all at once; a variant that fails to start fails its round. */
async function startAll(variants, failures, workloads) {
  const children = new Map();
  await Promise.all(
    variants.map(async (variant) => {
      try {
        children.set(variant.name, await startChild(variant));
      } catch (error) {
        console.log(`  ${variant.name}: FAILED TO START: ${error.message}`);
        for (const w of workloads)
          failures.set(
            `${variant.name}/${w.name}`,
            `failed to start: ${error.message.split('\n')[0]}`,
          );
      }
    }),
  );
  return children;
}

async function stopAll(children) {
  await Promise.all([...children.values()].map((child) => child.stop()));
  children.clear();
}

/**
 * Run the CPU mode. `config`: { rounds, requests, warmup, only, workloads, out, profile }.
 * `skippedByLibrary`: variant name → why it cannot run (the library could not be imported).
 */
export async function runCpu(config, meta, skippedByLibrary) {
  if (config.profile) return profileOne(config);
  const onlyRe = new RegExp(config.only || '.');
  const workloadRe = new RegExp(config.workloads || '.');
  const workloads = WORKLOADS.filter((w) => workloadRe.test(w.name));
  const selected = variantsOf('cpu').filter((v) => onlyRe.test(v.name));
  if (selected.length === 0 || workloads.length === 0)
    throw new Error('no variant or workload selected');
  const skipped = new Map();
  for (const v of selected)
    if (skippedByLibrary.has(v.name)) skipped.set(v.name, skippedByLibrary.get(v.name));

  const reWarm = Math.min(200, Math.ceil(config.requests / 10));
  const slices = Math.max(1, Math.min(config.slices ?? 10, config.requests));
  Object.assign(meta, {
    mode: 'cpu',
    rounds: config.rounds,
    requestsPerBatch: config.requests,
    warmupRequests: config.warmup,
    reWarmRequests: reWarm,
    slicesPerRound: slices,
    workloads: workloads.map((w) => w.name),
  });
  console.log(
    `bench cpu: ${selected.length - skipped.size} variants x ${workloads.length} workloads x ${config.rounds} rounds of ` +
      `${config.requests} requests in ${slices} slices, fresh processes each round (warm-up ${config.warmup} per workload), in-process, no sockets`,
  );
  for (const [name, why] of skipped) console.log(`  skip ${name}: ${why}`);

  const runnable = selected.filter((v) => !skipped.has(v.name));
  /** results[variant][workload] = [batch result per round] */
  const results = {};
  const failures = new Map();
  const perBatch = config.requests + reWarm;
  const units = config.rounds * runnable.length * workloads.length * (config.warmup / 2 + perBatch);
  const bar = progress('cpu', units, units * 200e-6);
  let children = new Map();
  try {
    for (let round = 1; round <= config.rounds; round++) {
      // Fresh processes every round: a JIT that settled badly in one process (it happens, and
      // it moves a variant by 30 % for the life of the process) is one round, not the result.
      bar.step(
        `round ${round}/${config.rounds}: starting ${runnable.length} processes and warming them up`,
        (runnable.length * workloads.length * config.warmup) / 2,
      );
      children = await startAll(runnable, failures, workloads);
      // Warm-up, unmeasured, every process at once: each workload in turn, so the JIT sees the
      // same mix of routes as during the rounds.
      await Promise.all(
        [...children].map(async ([name, child]) => {
          for (const workload of workloads) {
            try {
              const warm = await child.run({
                run: workload.name,
                requests: config.warmup,
                warmup: 0,
              });
              if (warm.wrong > 0)
                console.log(`  ${name} ${workload.name} warm-up: WRONG ${warm.wrongSamples[0]}`);
            } catch (error) {
              failures.set(`${name}/${workload.name}`, error.message.split('\n')[0]);
            }
          }
        }),
      );
      for (const workload of workloads) {
        bar.step(`round ${round}/${config.rounds} ${workload.name}`, runnable.length * perBatch);
        // One round of a workload is `slices` passes over the variants, each pass a slice of the
        // round's requests per variant, the order rotating from pass to pass: every variant's
        // figure for the round spans the same stretch of time as the others', so a burst of
        // other load on the shared machine is spread over all of them instead of hitting one.
        const tallies = new Map(runnable.map((v) => [v.name, []]));
        const load = loadavg()[0];
        for (let slice = 0; slice < slices; slice++) {
          const requests =
            Math.floor(config.requests / slices) + (slice < config.requests % slices ? 1 : 0);
          const shift = (round - 1) * slices + slice;
          const order = runnable.map((_, i) => runnable[(i + shift) % runnable.length]);
          for (const variant of order) {
            const key = `${variant.name}/${workload.name}`;
            if (failures.has(key) || !children.has(variant.name)) continue;
            try {
              const part = await children.get(variant.name).run({
                run: workload.name,
                requests,
                warmup: slice === 0 ? reWarm : 0,
              });
              tallies.get(variant.name).push(part);
            } catch (error) {
              failures.set(key, error.message.split('\n')[0]);
              console.log(`  ${key}: FAILED: ${error.message}`);
            }
          }
        }
        for (const variant of runnable) {
          const parts = tallies.get(variant.name);
          if (failures.has(`${variant.name}/${workload.name}`) || parts.length === 0) continue;
          const requests = parts.reduce((sum, p) => sum + p.requests, 0);
          const result = {
            round,
            requests,
            cpuUsPerReq: parts.reduce((sum, p) => sum + p.cpuUsPerReq * p.requests, 0) / requests,
            wallUsPerReq: parts.reduce((sum, p) => sum + p.wallUsPerReq * p.requests, 0) / requests,
            mainUsPerReq: parts.every((p) => p.mainUsPerReq != null)
              ? parts.reduce((sum, p) => sum + p.mainUsPerReq * p.requests, 0) / requests
              : null,
            checked: parts.reduce((sum, p) => sum + p.checked, 0),
            wrong: parts.reduce((sum, p) => sum + p.wrong, 0),
            wrongSamples: parts.flatMap((p) => p.wrongSamples).slice(0, 3),
            loadAvg1m: Math.round(((load + loadavg()[0]) / 2) * 100) / 100,
          };
          ((results[variant.name] ??= {})[workload.name] ??= []).push(result);
          const flag = result.wrong > 0 ? `  <-- WRONG: ${result.wrongSamples[0]}` : '';
          console.log(
            `  r${round} ${workload.name.padEnd(9)} ${variant.name.padEnd(26)} ${result.cpuUsPerReq.toFixed(1).padStart(7)} µs cpu/req ` +
              `${result.wallUsPerReq.toFixed(1).padStart(7)} µs wall/req  checked ${result.checked}${flag}`,
          );
        }
      }
      await stopAll(children);
    }
  } finally {
    await stopAll(children);
    bar.finish();
  }

  const summary = summarizeCpu(results, selected, workloads, skipped, failures);
  const targets = cpuTargets(summary);
  const markdown = renderCpuMarkdown(meta, summary, targets, workloads, skipped, failures);
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', `${config.out}-cpu.md`), markdown);
  writeFileSync(
    join(here, 'results', `${config.out}-cpu.json`),
    JSON.stringify(
      {
        meta,
        skipped: Object.fromEntries(skipped),
        failures: Object.fromEntries(failures),
        summary,
        targets,
        runs: results,
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(join(here, 'results', `${config.out}.svg`), renderChart(summary, meta));
  console.log('\n' + markdown);
  console.log(
    `written: bench/results/${config.out}-cpu.md, ${config.out}-cpu.json, ${config.out}.svg`,
  );
  return { summary, targets };
}

/**
 * `--profile VARIANT:WORKLOAD`: that variant alone, warmed up, then rounds × requests of the
 * workload under the V8 sampling profiler (started after the warm-up, so start-up and JIT
 * warm-up are not in it); writes the .cpuprofile and its summary (self time by package and
 * function) to bench/results/profiles/ and prints the summary.
 */
async function profileOne(config) {
  const [variantName, workloadName] = config.profile.split(':');
  const variant = variantsOf('cpu').find((v) => v.name === variantName);
  const workload = WORKLOADS.find((w) => w.name === workloadName);
  if (!variant || !workload)
    throw new Error(
      `--profile wants VARIANT:WORKLOAD, e.g. lib-memory-fastify:write; variants: ${variantsOf(
        'cpu',
      )
        .map((v) => v.name)
        .join(', ')}; workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`,
    );
  const child = await startChild(variant);
  const base = join(here, 'results', 'profiles', `${variant.name}-${workload.name}`);
  try {
    process.stderr.write(`[profile] warming up ${variant.name} ${workload.name}\n`);
    await child.run({ run: workload.name, requests: config.warmup, warmup: 0 });
    const requests = config.requests * config.rounds;
    process.stderr.write(`[profile] ${requests} requests under the profiler\n`);
    const result = await child.run({
      run: workload.name,
      requests,
      warmup: 0,
      profile: `${base}.cpuprofile`,
    });
    if (result.wrong > 0) throw new Error(`wrong answers: ${result.wrongSamples[0]}`);
    const text =
      `${variant.name} ${workload.name}: ${requests} requests, ${result.cpuUsPerReq.toFixed(1)} µs CPU/req ` +
      `(with the profiler on)\n` +
      summarizeProfile(`${base}.cpuprofile`, 25);
    writeFileSync(`${base}.txt`, text);
    console.log(text);
    console.log(`written: ${base}.cpuprofile, ${base}.txt`);
  } finally {
    await child.stop();
  }
}

export function machine() {
  return {
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    loadAvg: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}
