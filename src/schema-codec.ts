import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import type { SessionSchemaDefinition } from './session-schema.decorator.js';

export interface FieldFailure {
  field: string;
  messages: string[];
}

/** Most validated texts remembered per schema. */
const CACHE_LIMIT = 10_000;

/**
 * Turns a namespace's JSON text into an instance of its schema class and checks it with
 * class-validator. Text that already passed (written by this process after validation, or read
 * and checked before) is remembered, so the common read skips validation; the cache is bounded.
 */
export class SchemaCodec {
  private readonly validated = new WeakMap<SessionSchemaDefinition, Map<string, true>>();

  /** An instance with the class's initialisers filling in whatever the plain value lacks. */
  hydrate<T extends object>(schema: SessionSchemaDefinition, plain: unknown): T {
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
      return new schema.type() as T;
    }
    return plainToInstance(schema.type, plain, { exposeDefaultValues: true }) as T;
  }

  /** The fields that fail, as `namespace.path`; empty when the instance is valid. */
  async check(
    schema: SessionSchemaDefinition,
    instance: object,
    text: string,
  ): Promise<FieldFailure[]> {
    const cache = this.cacheOf(schema);
    if (cache.has(text)) return [];
    const errors = await validate(instance, { forbidUnknownValues: false });
    const failures = flatten(errors, schema.key);
    if (failures.length === 0) this.remember(schema, text);
    return failures;
  }

  /** Record text as valid for a schema (it was validated on its way into the store). */
  remember(schema: SessionSchemaDefinition, text: string): void {
    const cache = this.cacheOf(schema);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(text, true);
  }

  private cacheOf(schema: SessionSchemaDefinition): Map<string, true> {
    let cache = this.validated.get(schema);
    if (!cache) {
      cache = new Map();
      this.validated.set(schema, cache);
    }
    return cache;
  }
}

function flatten(errors: ValidationError[], prefix: string): FieldFailure[] {
  const failures: FieldFailure[] = [];
  for (const error of errors) {
    const field = `${prefix}.${error.property}`;
    if (error.constraints) failures.push({ field, messages: Object.values(error.constraints) });
    if (error.children?.length) failures.push(...flatten(error.children, field));
  }
  return failures;
}
