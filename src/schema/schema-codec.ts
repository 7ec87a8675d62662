import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { cloneInstance } from './instance-clone.js';
import type { SessionSchemaDefinition } from './session-schema.decorator.js';

export interface FieldFailure {
  field: string;
  messages: string[];
}

/** Most texts remembered per schema, valid ones and hydrated ones alike. */
const CACHE_LIMIT = 10_000;

/**
 * Turns a namespace's JSON text into an instance of its schema class and checks it with
 * class-validator. Both are costly and a session is read far more often than it changes, so the
 * codec remembers, per schema and bounded, which texts passed validation (they were validated on
 * the way into the store, or read and checked before) and the instance each valid text hydrates
 * to; a repeated read gets a deep copy of that instance, without parsing or class-transformer.
 */
@Injectable()
export class SchemaCodec {
  private readonly validated = new WeakMap<SessionSchemaDefinition, Map<string, true>>();
  private readonly hydrated = new WeakMap<SessionSchemaDefinition, Map<string, object>>();

  /** An instance with the class's initialisers filling in whatever the plain value lacks. */
  hydrate<T extends object>(schema: SessionSchemaDefinition, plain: unknown): T {
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
      return new schema.type() as T;
    }
    return plainToInstance(schema.type, plain, { exposeDefaultValues: true }) as T;
  }

  /**
   * A fresh instance for a text this codec has hydrated and validated before, or `undefined`.
   * The cached instance itself is never handed out, so handlers cannot change it.
   */
  known<T extends object>(schema: SessionSchemaDefinition, text: string): T | undefined {
    const instance = this.hydrated.get(schema)?.get(text);
    return instance === undefined ? undefined : (cloneInstance(instance) as T);
  }

  /** The fields that fail, as `namespace.path`; empty when the instance is valid. */
  async check(
    schema: SessionSchemaDefinition,
    instance: object,
    text: string,
  ): Promise<FieldFailure[]> {
    if (this.cacheOf(this.validated, schema).has(text)) return [];
    const errors = await validate(instance, { forbidUnknownValues: false });
    const failures = flatten(errors, schema.key);
    if (failures.length === 0) this.remember(schema, text, instance);
    return failures;
  }

  /** Record text as valid for a schema, and what it hydrates to when that is known. */
  remember(schema: SessionSchemaDefinition, text: string, instance?: object): void {
    remember(this.cacheOf(this.validated, schema), text, true);
    if (instance) remember(this.cacheOf(this.hydrated, schema), text, cloneInstance(instance));
  }

  private cacheOf<V>(
    caches: WeakMap<SessionSchemaDefinition, Map<string, V>>,
    schema: SessionSchemaDefinition,
  ): Map<string, V> {
    let cache = caches.get(schema);
    if (!cache) {
      cache = new Map();
      caches.set(schema, cache);
    }
    return cache;
  }
}

function remember<V>(cache: Map<string, V>, text: string, value: V): void {
  if (cache.has(text)) return;
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, value);
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
