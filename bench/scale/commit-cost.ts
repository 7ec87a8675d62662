/**
 * What `waitForReplicas` costs a commit, measured at the store with nothing else of the app in
 * the way: one client commits one session after another, with the option off and on, in
 * interleaved rounds (so the shared machine's load hits both alike); medians of the rounds.
 */
import { randomUUID } from 'node:crypto';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import type { ScaleStoreConfig } from '../../test/scale/support/scale-app-config.js';

const ROUNDS = 5;
const COMMITS_PER_ROUND = 200;

export interface CommitCost {
  offP50Ms: number;
  offP99Ms: number;
  onP50Ms: number;
  onP99Ms: number;
}

function storeFor(config: ScaleStoreConfig, durable: boolean): RedisSessionStore {
  const waitForReplicas = durable ? { replicas: 1, timeoutMs: 500 } : undefined;
  if (config.kind === 'redis-cluster') {
    return new RedisSessionStore({
      clusterNodes: config.ports.map((port) => ({ host: '127.0.0.1', port })),
      prefix: 'cost:',
      waitForReplicas,
    });
  }
  if (config.kind === 'redis-sentinel') {
    return new RedisSessionStore({
      sentinels: [{ host: '127.0.0.1', port: config.sentinelPort }],
      sentinelName: config.masterName,
      prefix: 'cost:',
      waitForReplicas,
    });
  }
  throw new Error('commit cost: a Redis deployment only');
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Sequential commits (create, then updates of one namespace), ms each. */
async function round(store: RedisSessionStore): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  const now = Date.now();
  const metadata = {
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: now + 600_000,
    absoluteExpiresAt: null,
  };
  for (let i = 0; i < COMMITS_PER_ROUND; i++) {
    const id = randomUUID();
    const began = performance.now();
    await store.set(id, {
      mode: 'create',
      metadata,
      set: { cart: JSON.stringify({ items: [`sku-${i}`] }) },
      remove: [],
    });
    times.push(performance.now() - began);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function measureCommitCost(config: ScaleStoreConfig): Promise<CommitCost> {
  const off = storeFor(config, false);
  const on = storeFor(config, true);
  try {
    await round(off); // warm-up: connections, slot maps, scripts
    await round(on);
    const offRounds: Array<{ p50: number; p99: number }> = [];
    const onRounds: Array<{ p50: number; p99: number }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      offRounds.push(await round(off));
      onRounds.push(await round(on));
    }
    const r = (value: number) => Math.round(value * 1000) / 1000;
    return {
      offP50Ms: r(median(offRounds.map((x) => x.p50))),
      offP99Ms: r(median(offRounds.map((x) => x.p99))),
      onP50Ms: r(median(onRounds.map((x) => x.p50))),
      onP99Ms: r(median(onRounds.map((x) => x.p99))),
    };
  } finally {
    await off.close();
    await on.close();
  }
}
