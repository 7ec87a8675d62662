import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { runnerFor, type SchemaRun } from '../../src/schema/schema-runner.js';
import { BasketSession, LedgerSession, SettingsSession } from '../support/concurrency-fixtures.js';
import { CartSession, PrefsSession } from '../support/fixtures.js';
import { DocumentGenerator, seededRandom } from './document-generator.js';
import {
  Collections,
  FeaturesProfile,
  FeaturesScore,
  Messages,
  SampleCart,
  Scalars,
  Tree,
} from './schema-fixtures.js';

/**
 * The compiled schema functions against class-transformer + class-validator themselves
 * (`plainToInstance` with `exposeDefaultValues`, `validate` with `whitelist` and, unless
 * stripping, `forbidNonWhitelisted`): same verdict, same fields, same constraint names and
 * messages, and for valid documents the same instance. Set SCHEMA_DIFF_SEED to explore others.
 */
const SEED = Number(process.env.SCHEMA_DIFF_SEED ?? 20_261_122);
const DOCUMENTS = 10_000;
const STRIPPED_DOCUMENTS = 500;

/** Hand-written valid documents where random ones are rarely valid; mutations start from them. */
const EXAMPLES = new Map<unknown, Record<string, unknown>>([
  [
    Scalars,
    {
      name: 'abc',
      ratio: 1.25,
      plain: 3,
      count: 2,
      debt: -2,
      flag: true,
      at: '2026-01-02T03:04:05.000Z',
      choice: 3,
      tier: 'pro',
      level: 2,
      code: 'abc',
      ref: 'abc-12',
      email: 'a@example.com',
      note: 'n',
      must: 1,
      meta: { a: 1 },
      free: [1],
    },
  ],
  [Tree, { kind: 'k', trunk: { leaf: { id: 'a' }, leaves: [{ id: 'b', weight: 2 }] } }],
]);

const SCHEMAS: Array<[string, new () => object]> = [
  ['fixtures CartSession', CartSession],
  ['fixtures PrefsSession', PrefsSession],
  ['concurrency BasketSession', BasketSession],
  ['concurrency SettingsSession', SettingsSession],
  ['concurrency LedgerSession', LedgerSession],
  ['e2e features ProfileSession', FeaturesProfile],
  ['e2e features ScoreSession', FeaturesScore],
  ['sample CartSession', SampleCart],
  ['every scalar decorator', Scalars],
  ['arrays and each', Collections],
  ['messages', Messages],
  ['nested, inherited, untyped, arrays of arrays', Tree],
];

interface Outcome {
  threw?: string;
  failures?: Array<{ field: string; constraints: string[]; messages: string[] }>;
  instance?: unknown;
}

/** class-transformer + class-validator, flattened the way the session engine names fields. */
async function reference(type: new () => object, plain: object, strip: boolean): Promise<Outcome> {
  let instance: object;
  try {
    instance = plainToInstance(type, plain, { exposeDefaultValues: true });
  } catch (error) {
    return { threw: String(error) };
  }
  const errors = await validate(instance, {
    forbidUnknownValues: false,
    whitelist: true,
    forbidNonWhitelisted: !strip,
  });
  return { failures: flatten(errors, 'ns'), instance: describeInstance(instance) };
}

function flatten(errors: ValidationError[], prefix: string): Outcome['failures'] & object {
  return errors.flatMap((error) => {
    const field = `${prefix}.${error.property}`;
    const own = error.constraints
      ? [
          {
            field,
            constraints: Object.keys(error.constraints),
            messages: Object.values(error.constraints),
          },
        ]
      : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

async function compiled(type: new () => object, plain: object, strip: boolean): Promise<Outcome> {
  const runner = runnerFor(type);
  const run: SchemaRun = await runner.run(plain as Record<string, unknown>, 'ns', strip);
  if (run.failures[0]?.constraints[0] === 'hydration') return { threw: 'hydration' };
  return {
    failures: run.failures,
    instance: describeInstance(run.instance),
  };
}

/** An instance as data plus the class of every object in it, to compare hydration exactly. */
function describeInstance(value: unknown): unknown {
  if (value instanceof Date)
    return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() };
  if (Array.isArray(value)) return value.map(describeInstance);
  if (value === null || typeof value !== 'object') return value;
  const described: Record<string, unknown> = { '@class': value.constructor?.name };
  for (const key of Object.keys(value)) {
    described[key] = describeInstance((value as Record<string, unknown>)[key]);
  }
  return described;
}

function agree(expected: Outcome, actual: Outcome): boolean {
  if (expected.threw !== undefined || actual.threw !== undefined) {
    return expected.threw !== undefined && actual.threw !== undefined;
  }
  if (JSON.stringify(expected.failures) !== JSON.stringify(actual.failures)) return false;
  // A valid document must hydrate to the same instance.
  return (
    expected.failures!.length > 0 ||
    JSON.stringify(expected.instance) === JSON.stringify(actual.instance)
  );
}

describe('compiled schemas agree with class-transformer + class-validator', () => {
  it.each(SCHEMAS)('%s', async (name, type) => {
    expect(runnerFor(type).fallbackReason).toBeUndefined(); // really compiled
    const random = seededRandom(SEED ^ hash(name));
    const generator = new DocumentGenerator(random);
    let valid = 0;
    const validDocuments: Array<Record<string, unknown>> = [];
    const example = EXAMPLES.get(type);
    if (example) validDocuments.push(example);
    for (let index = 0; index < DOCUMENTS + STRIPPED_DOCUMENTS; index++) {
      const strip = index >= DOCUMENTS;
      const document =
        validDocuments.length > 0 && random() < 0.6
          ? generator.mutation(type, validDocuments[Math.floor(random() * validDocuments.length)])
          : generator.document(type);
      const text = JSON.stringify(document);
      // Each side gets its own parse: class-transformer may change what it is given.
      const expected = await reference(type, JSON.parse(text) as object, strip);
      const actual = await compiled(type, JSON.parse(text) as object, strip);
      if (!agree(expected, actual)) {
        throw new Error(
          `schema "${name}" disagrees with class-validator (seed ${SEED}, document ${index}, ` +
            `strip ${strip}):\n${text}\nexpected ${JSON.stringify(expected, null, 1)}\n` +
            `actual ${JSON.stringify(actual, null, 1)}`,
        );
      }
      if (!strip && expected.failures?.length === 0) {
        valid++;
        if (validDocuments.length < 50)
          validDocuments.push(JSON.parse(text) as Record<string, unknown>);
      }
    }
    // The generator must produce both verdicts in useful numbers, or the test proves little.
    expect(valid).toBeGreaterThan(DOCUMENTS * 0.02);
    expect(valid).toBeLessThan(DOCUMENTS * 0.9);
  });
});

function hash(text: string): number {
  let value = 0;
  for (const char of text) value = (Math.imul(value, 31) + char.charCodeAt(0)) >>> 0;
  return value;
}
