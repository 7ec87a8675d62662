// The benchmark's variants: one Nest app each, started by bench/server.mjs in its own process.
//
//   kind:     'bare' (no session at all), 'lib' (this library), 'peer' (the established package),
//             'floor' (bare plus a no-op interceptor, floor: 'global' | 'scoped': the least any
//             interceptor costs; or floor: 'params': no-op custom parameters on the session routes)
//   platform: 'express' | 'fastify'
//   store:    'memory' | 'redis' | 'pg' (null for bare)
//   needs:    names the built library must export for the variant to run; otherwise the run
//             reports it as "not available yet" instead of failing.
//   baseline: the bare variant on the same platform; peer: what a 'lib' variant is compared to.
const STORE_CLASS = {
  memory: 'MemorySessionStore',
  redis: 'RedisSessionStore',
  pg: 'PostgresSessionStore',
};

/** This library on a store, compared with `peer`. */
function lib(name, platform, store, peer) {
  const needs = ['SessionModule', 'Session', 'SessionSchema', 'SessionHandle', STORE_CLASS[store]];
  return { name, kind: 'lib', platform, store, needs, peer };
}

export const VARIANTS = [
  { name: 'bare-express', kind: 'bare', platform: 'express', store: null },
  lib('lib-memory', 'express', 'memory', 'express-session-memory'),
  { name: 'express-session-memory', kind: 'peer', platform: 'express', store: 'memory' },
  // The floors of an interceptor-based library: bare Nest plus an interceptor that only returns
  // next.handle(), either global (every route runs it) or route-scoped (@UseInterceptors on the
  // session routes only, as this library attaches its commit interceptor). What the floor costs,
  // a session interceptor cannot avoid.
  { name: 'noop-interceptor', kind: 'floor', floor: 'global', platform: 'express', store: null },
  {
    name: 'noop-scoped',
    kind: 'floor',
    floor: 'scoped',
    platform: 'express',
    store: null,
    modes: ['cpu'],
  },
  // The floor of a parameter-decorator library, which this one is: bare Nest whose session
  // routes take custom parameters (createParamDecorator, answering a constant), the shape
  // @Session() gives them; /health takes none. Its /health is the control for the untouched
  // target: a route that runs no extra code, in a process whose other routes have custom params.
  {
    name: 'noop-params',
    kind: 'floor',
    floor: 'params',
    platform: 'express',
    store: null,
    modes: ['cpu'],
  },
  lib('lib-redis', 'express', 'redis', 'express-session-redis'),
  { name: 'express-session-redis', kind: 'peer', platform: 'express', store: 'redis' },
  lib('lib-pg', 'express', 'pg', 'express-session-pg'),
  { name: 'express-session-pg', kind: 'peer', platform: 'express', store: 'pg' },
  { name: 'bare-fastify', kind: 'bare', platform: 'fastify', store: null },
  lib('lib-memory-fastify', 'fastify', 'memory', 'fastify-session-memory'),
  { name: 'fastify-session-memory', kind: 'peer', platform: 'fastify', store: 'memory' },
  {
    name: 'noop-interceptor-fastify',
    kind: 'floor',
    floor: 'global',
    platform: 'fastify',
    store: null,
  },
  {
    name: 'noop-scoped-fastify',
    kind: 'floor',
    floor: 'scoped',
    platform: 'fastify',
    store: null,
    modes: ['cpu'],
  },
  {
    name: 'noop-params-fastify',
    kind: 'floor',
    floor: 'params',
    platform: 'fastify',
    store: null,
    modes: ['cpu'],
  },
];

for (const v of VARIANTS) {
  v.baseline = v.platform === 'fastify' ? 'bare-fastify' : 'bare-express';
  // Which modes run the variant: the in-process CPU mode has no Redis or PostgreSQL variants
  // (their cost is the store's round trip, which only the socket-level run sees).
  v.modes ??= v.store === 'redis' || v.store === 'pg' ? ['socket'] : ['socket', 'cpu'];
}

/** The variants of one mode ('socket' or 'cpu'). */
export function variantsOf(mode) {
  return VARIANTS.filter((v) => v.modes.includes(mode));
}

/**
 * The workloads, in the order they run against one server process (login last: it leaves a
 * session behind per request).
 *   method/path: the measured request; cookie: whether each connection sends its own session
 *   cookie (obtained with one POST /setup per connection before the run).
 */
export const WORKLOADS = [
  { name: 'read', method: 'GET', path: '/cart', cookie: true },
  { name: 'write', method: 'POST', path: '/cart/counter', cookie: true },
  { name: 'untouched', method: 'GET', path: '/health', cookie: true },
  { name: 'login', method: 'POST', path: '/login', cookie: false },
];

/** Session settings shared by every variant. */
export const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
export const IDLE_TIMEOUT_MS = 20 * 60_000;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** A Redis logical database of its own, so the bench never touches other users' keys. */
export const REDIS_DB = Number(process.env.BENCH_REDIS_DB ?? 7);
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PG_TABLES = { lib: 'bench_lib_sessions', peer: 'bench_es_sessions' };
export const REDIS_PREFIX = { lib: 'bench-lib:', peer: 'bench-es:' };

/** The cart every session holds: three small items and a counter, ~200 bytes of JSON. */
export function newCart() {
  return {
    items: [
      { sku: 'SKU-000001', name: 'Blue T-shirt, size M', qty: 1, price: 1999 },
      { sku: 'SKU-000002', name: 'Canvas tote bag', qty: 2, price: 1250 },
      { sku: 'SKU-000003', name: 'Sticker pack', qty: 3, price: 399 },
    ],
    counter: 0,
  };
}
