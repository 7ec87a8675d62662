// Counts the round trips a server process makes to Redis and PostgreSQL, without MONITOR or
// INFO deltas (the servers are shared): every command either Redis client sends (ioredis, used by
// this library; node-redis, used by connect-redis) and every query a `pg` client runs (this
// library's PostgresSessionStore and connect-pg-simple both go through pg.Client#query). A Lua
// script (EVALSHA) is one round trip; a NOSCRIPT retry counts as a second one, as it is.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const storeCalls = { redis: 0, pg: 0 };
/** BENCH_STORE_CALLS_BY_NAME=1: also count by command (Redis) or statement start (pg). */
export const storeCallsByName = {};
const byName = Boolean(process.env.BENCH_STORE_CALLS_BY_NAME);

function nameOf(key, args) {
  const first = args[0];
  if (key === 'redis') return String(first?.name ?? (Array.isArray(first) ? first[0] : '?'));
  const text = typeof first === 'string' ? first : (first?.text ?? '?');
  return text.replace(/\s+/g, ' ').trim().slice(0, 40);
}

function wrap(proto, method, key) {
  const original = proto?.[method];
  if (typeof original !== 'function' || original.__benchCounted) return;
  const counted = function (...args) {
    storeCalls[key]++;
    if (byName) {
      const name = `${key} ${nameOf(key, args)}`;
      storeCallsByName[name] = (storeCallsByName[name] ?? 0) + 1;
    }
    return original.apply(this, args);
  };
  counted.__benchCounted = true;
  proto[method] = counted;
}

/** Patch the clients' prototypes in this process; call before any client is created. */
export function countStoreCalls() {
  try {
    const ioredis = require('ioredis');
    wrap((ioredis.default ?? ioredis).prototype, 'sendCommand', 'redis');
  } catch {
    // not installed: nothing to count
  }
  try {
    // node-redis 5: every command, script and MULTI goes through RedisClient#sendCommand.
    const RedisClient = require('@redis/client/dist/lib/client/index.js').default;
    wrap(RedisClient?.prototype, 'sendCommand', 'redis');
  } catch {
    // not installed
  }
  try {
    const pg = require('pg');
    wrap(pg.Client.prototype, 'query', 'pg');
  } catch {
    // not installed
  }
}
