import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage } from 'class-validator';

/** A small seeded PRNG (mulberry32): the same seed gives the same documents. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PropertyShape {
  name: string;
  /** Values near each constraint's edges, valid and not. */
  hints: unknown[];
  /** `each: true` rules: hints for the elements of an array. */
  elementHints: unknown[];
  nested: (new () => object) | undefined;
  dates: boolean;
  array: boolean;
}

const WEIRD: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  1,
  -1,
  2.5,
  1.005,
  1e21,
  '',
  'a',
  'abc',
  ' ',
  'a@b',
  '2026-01-02T03:04:05.000Z',
  'not a date',
  [],
  [1],
  [null],
  ['a', 2],
  {},
  { a: 1 },
  { nested: { deeper: [1, { x: null }] } },
];

const EXTRA_KEYS = ['isAdmin', 'role', 'extra', 'toString', 'constructor', '__proto__', 'x1'];

/**
 * Documents for a schema class: near-valid ones built from its own constraints, with wrong
 * types, missing and extra properties, and nested and array edge cases mixed in.
 */
export class DocumentGenerator {
  private readonly shapes = new Map<unknown, PropertyShape[]>();

  constructor(private readonly random: () => number) {}

  document(type: new () => object, depth = 0): Record<string, unknown> {
    const document: Record<string, unknown> = {};
    for (const shape of this.shapesOf(type)) {
      const roll = this.random();
      if (roll < 0.08) continue; // missing
      document[shape.name] = roll < 0.8 ? this.goodish(shape, depth) : this.pick(WEIRD);
    }
    if (this.random() < 0.12) {
      const key = this.pick(EXTRA_KEYS);
      // JSON.parse makes `__proto__` an own property; so does defineProperty.
      Object.defineProperty(document, key, {
        value: this.pick(WEIRD),
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
    return document;
  }

  /** A valid document with one or two properties changed, removed or added. */
  mutation(type: new () => object, base: Record<string, unknown>): Record<string, unknown> {
    const document = structuredClone(base);
    const shapes = this.shapesOf(type);
    const changes = 1 + Math.floor(this.random() * 2);
    for (let change = 0; change < changes; change++) {
      const shape = this.pick(shapes);
      const roll = this.random();
      if (roll < 0.15) delete document[shape.name];
      else if (roll < 0.75) document[shape.name] = this.goodish(shape, 1);
      else if (roll < 0.9) document[shape.name] = this.pick(WEIRD);
      else document[this.pick(EXTRA_KEYS.filter((key) => key !== '__proto__'))] = this.pick(WEIRD);
    }
    return document;
  }

  private goodish(shape: PropertyShape, depth: number): unknown {
    if (shape.nested) {
      const one = () =>
        depth > 3 || this.random() < 0.1
          ? this.pick(WEIRD)
          : this.document(shape.nested!, depth + 1);
      if (!shape.array) return one();
      const length = Math.floor(this.random() * 4);
      return Array.from({ length }, () => (this.random() < 0.1 ? [one(), one()] : one()));
    }
    if (shape.elementHints.length > 0 || shape.array) {
      const pool = shape.elementHints.length ? shape.elementHints : shape.hints;
      const length = Math.floor(this.random() * 5);
      if (this.random() < 0.15) return this.pick(shape.hints);
      return Array.from({ length }, () => (pool.length ? this.pick(pool) : this.pick(WEIRD)));
    }
    return shape.hints.length ? this.pick(shape.hints) : this.pick(WEIRD);
  }

  private pick<T>(values: T[]): T {
    return values[Math.floor(this.random() * values.length)];
  }

  private shapesOf(type: new () => object): PropertyShape[] {
    let shapes = this.shapes.get(type);
    if (shapes) return shapes;
    const byName = new Map<string, PropertyShape>();
    const storage = getMetadataStorage();
    for (const metadata of storage.getTargetValidationMetadatas(type, '', false, false)) {
      let shape = byName.get(metadata.propertyName);
      if (!shape) {
        const typed = defaultMetadataStorage.findTypeMetadata(type, metadata.propertyName);
        const target = typed?.typeFunction?.();
        shape = {
          name: metadata.propertyName,
          hints: [],
          elementHints: [],
          nested:
            typeof target === 'function' && target !== Date
              ? (target as new () => object)
              : undefined,
          dates: target === Date,
          array: typed?.reflectedType === Array,
        };
        if (shape.dates) shape.hints.push('2026-01-02T03:04:05.000Z', '2026-13-45', 0, null);
        byName.set(metadata.propertyName, shape);
      }
      const name =
        storage.getTargetValidatorConstraints(metadata.constraintCls)[0]?.name ?? metadata.type;
      const hints = hintsFor(name, metadata.constraints ?? []);
      (metadata.each ? shape.elementHints : shape.hints).push(...hints);
      if (name === 'isArray' || name.startsWith('array')) shape.array = true;
    }
    shapes = [...byName.values()];
    this.shapes.set(type, shapes);
    return shapes;
  }
}

function hintsFor(name: string, constraints: unknown[]): unknown[] {
  const [first, second] = constraints as [unknown, unknown];
  const numbers = (edge: number) => [edge - 1, edge, edge + 1, edge + 0.5];
  const text = (length: number) => 'abcdefghij'.slice(0, Math.max(0, length));
  switch (name) {
    case 'isString':
    case 'isNotEmpty':
      return ['', 'ab', 'abc', 7];
    case 'isNumber':
      return [0, 1.25, 1.255, -3, '1', 1e21];
    case 'isInt':
    case 'isPositive':
    case 'isNegative':
      return [1, 0, -1, 2, -2, 1.5, '1'];
    case 'min':
    case 'max':
      return numbers(first as number);
    case 'minLength':
    case 'maxLength':
      return [text((first as number) - 1), text(first as number), text((first as number) + 1)];
    case 'isLength':
      return [text(first as number), text(second as number), text((second as number) + 1), ''];
    case 'isIn':
      return [...(first as unknown[]), 'zz', '3'];
    case 'isEnum':
      return [...Object.values(first as object), 'nope'];
    case 'isBoolean':
      return [true, false, 'true', 1];
    case 'isDate':
      return ['2026-01-02T03:04:05.000Z', 'garbage', 86_400_000];
    case 'matches':
      return ['abc-12', 'ab-1', 'ABC-12', 'abc-123'];
    case 'isEmail':
      return ['a@example.com', 'a@b', 'not-an-email', 'x.y@sub.example.org'];
    case 'isEmpty':
      return [null, '', 'x', 0];
    case 'isDefined':
      return [1, 'x', null];
    case 'isObject':
      return [{}, { a: 1 }, [], 'x'];
    case 'arrayMinSize':
    case 'arrayMaxSize':
      return [Array.from({ length: first as number }, () => 't'), []];
    default:
      return [];
  }
}
