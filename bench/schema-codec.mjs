// Per-call cost of a schema namespace's way in (decode: parse, hydrate, validate) and out (check:
// serialise, validate) for the ~200-byte cart (3 items + counter): the compiled schema against
// class-transformer + class-validator doing the same work. Runs against dist/ (npm run build).
// Interleaved rounds; the median of the rounds' per-call figures. Usage:
//   node bench/schema-codec.mjs [--rounds 7] [--calls 20000]
import 'reflect-metadata';
import { Type, plainToInstance } from 'class-transformer';
import { IsArray, IsInt, IsString, Max, Min, ValidateNested, validate } from 'class-validator';
import { SessionSchema } from '../dist/esm/index.js';
import { SchemaCodec } from '../dist/schema/schema-codec.js';
import { runnerFor } from '../dist/schema/schema-runner.js';
import { schemaOf } from '../dist/schema/session-schema.decorator.js';

const arg = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const ROUNDS = arg('rounds', 7);
const CALLS = arg('calls', 20_000);

class CartItem {
  sku = '';
  quantity = 1;
}
IsString()(CartItem.prototype, 'sku');
IsInt()(CartItem.prototype, 'quantity');
Min(1)(CartItem.prototype, 'quantity');
Max(99)(CartItem.prototype, 'quantity');

class Cart {
  items = [];
  counter = 0;
}
IsArray()(Cart.prototype, 'items');
ValidateNested({ each: true })(Cart.prototype, 'items');
Type(() => CartItem)(Cart.prototype, 'items');
IsInt()(Cart.prototype, 'counter');
SessionSchema('bench-cart')(Cart);
const schema = schemaOf(Cart);

const TEXT = JSON.stringify({
  items: [
    { sku: 'apple-golden-delicious', quantity: 3 },
    { sku: 'pear-conference-organic', quantity: 1 },
    { sku: 'banana-fairtrade-bunch', quantity: 12 },
  ],
  counter: 41,
});
const OPTIONS = { forbidUnknownValues: false, whitelist: true, forbidNonWhitelisted: true };

// Texts and values a cache of 10,000 cannot hold: cycling through them, every call is a miss.
const DISTINCT = 50_000;
const texts = Array.from({ length: DISTINCT }, (_, counter) =>
  TEXT.replace('"counter":41', `"counter":${counter}`),
);
const cached = new SchemaCodec();
cached.decode(schema, TEXT);
const instances = texts.map((text) => {
  const value = cached.known(schema, TEXT);
  value.counter = JSON.parse(text).counter;
  return value;
});
const cold = new SchemaCodec();
let next = 0;
const nextIndex = () => (next = (next + 1) % DISTINCT);

/** Each variant does one call's work; `await` only where the work is asynchronous. */
const runner = runnerFor(Cart);
const PLAIN = JSON.parse(TEXT);

const variants = {
  'hydrate + validate a parsed cart, compiled': () => {
    if (runner.run(PLAIN, 'cart', false).failures.length) throw new Error('invalid');
  },
  'hydrate + validate a parsed cart, plainToInstance + validate': async () => {
    const value = plainToInstance(Cart, PLAIN, { exposeDefaultValues: true });
    if ((await validate(value, OPTIONS)).length) throw new Error('invalid');
  },
  'decode, compiled (text not seen before)': () => {
    const decoded = cold.decode(schema, texts[nextIndex()]);
    if (!decoded.ok) throw new Error('invalid');
  },
  'decode, compiled (text seen before: a copy)': () => {
    if (!cached.decode(schema, TEXT).ok) throw new Error('invalid');
  },
  'decode, class-transformer + class-validator': async () => {
    const text = texts[nextIndex()];
    const value = plainToInstance(Cart, JSON.parse(text), { exposeDefaultValues: true });
    if ((await validate(value, OPTIONS)).length) throw new Error('invalid');
  },
  'check, compiled (new text)': () => {
    const checked = cold.check(schema, instances[nextIndex()]);
    if (!checked.ok) throw new Error('invalid');
  },
  'check, class-transformer + class-validator (serialise, parse, hydrate, validate)': async () => {
    const text = JSON.stringify(instances[nextIndex()]);
    const value = plainToInstance(Cart, JSON.parse(text), { exposeDefaultValues: true });
    if ((await validate(value, OPTIONS)).length) throw new Error('invalid');
  },
};

const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round <= ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    // CPU time of this process, not wall time: the figures survive a machine shared with other
    // jobs (the work is single-threaded; waiting for a core is not its cost).
    const started = process.cpuUsage();
    for (let call = 0; call < CALLS; call++) {
      const result = run();
      if (result instanceof Promise) await result;
    }
    const used = process.cpuUsage(started);
    const micros = (used.user + used.system) / CALLS;
    if (round > 0) samples[name].push(micros); // round 0 warms up the JIT
  }
  process.stderr.write(`round ${round}/${ROUNDS}\n`);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `cart text: ${TEXT.length} bytes; ${ROUNDS} rounds × ${CALLS} calls; CPU µs per call\n`,
);
console.log('| variant | median CPU µs | rounds |');
console.log('|---|---:|---|');
for (const [name, values] of Object.entries(samples)) {
  const rounds = values.map((value) => value.toFixed(2)).join(', ');
  console.log(`| ${name} | ${median(values).toFixed(2)} | ${rounds} |`);
}
