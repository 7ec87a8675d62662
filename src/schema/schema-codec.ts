import { Injectable } from '@nestjs/common';
import { cloneInstance } from './instance-clone.js';
import { RecentCache } from '../cache/recent-cache.js';
import type { FieldFailure } from './field-failure.js';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './json-depth.js';
import { runnerFor, type SchemaRun } from './schema-runner.js';
import {
  SHAPE_CONSTRAINTS,
  shapeFailure,
  toFieldFailures,
  type SchemaFailure,
} from './schema-failure.js';
import type { SessionSchemaDefinition } from './session-schema.decorator.js';

export type { FieldFailure } from './field-failure.js';

/** A stored text turned into a schema instance, or why it cannot be. */
export type Decoded<T = object> =
  { ok: true; value: T } | { ok: false; failures: FieldFailure[]; details: SchemaFailure[] };

/** A value about to be committed: the JSON text to store, or why it cannot be stored. */
export type Checked =
  { ok: true; text: string } | { ok: false; failures: FieldFailure[]; details: SchemaFailure[] };

/** Synchronous for compiled schemas; a promise only for schemas that fall back to the libraries. */
export type MaybePromise<T> = T | Promise<T>;

/** Most texts remembered per schema. */
const CACHE_LIMIT = 10_000;

/**
 * A schema namespace's way in and out of the store. A namespace holds exactly its schema: a
 * JSON object with the declared properties (undeclared ones fail as `whitelistValidation`, or
 * are stripped when the schema says `unknownProperties: 'strip'`), nested at most
 * `MAX_NESTING_DEPTH` levels, valid under its class-validator rules.
 *
 * Validation runs compiled (synchronous, see `schema-plan.ts`) or, for decorators the compiler
 * does not know, through class-transformer and class-validator. A session is read far more often
 * than it changes, so the codec remembers, per schema and bounded, the instance each valid text
 * hydrates to and hands out deep copies of it: a repeated text is neither parsed nor validated.
 */
@Injectable()
export class SchemaCodec {
  private readonly valid = new WeakMap<SessionSchemaDefinition, RecentCache<string, object>>();

  /** Stored text → instance: parsed once, checked for shape, hydrated and validated. */
  decode<T extends object>(
    schema: SessionSchemaDefinition,
    text: string,
  ): MaybePromise<Decoded<T>> {
    const known = this.known<T>(schema, text);
    if (known) return { ok: true, value: known };
    let plain: unknown;
    try {
      plain = JSON.parse(text);
    } catch {
      return refused(shapeFailure(schema.key, SHAPE_CONSTRAINTS.json, `${schema.key} is not JSON`));
    }
    return this.decodeParsed<T>(schema, plain, text, false);
  }

  /**
   * A plain value (e.g. what `migrate` returned) → instance, with the same checks as `decode`.
   * Not cached: its text is not what the store holds.
   */
  decodeValue<T extends object>(
    schema: SessionSchemaDefinition,
    plain: unknown,
  ): MaybePromise<Decoded<T>> {
    const text = serialise(schema, plain);
    if (typeof text !== 'string') return refused(text);
    return this.decodeParsed<T>(schema, JSON.parse(text), text, true);
  }

  /**
   * A value about to be committed → the JSON text to store, serialised once. The check judges
   * exactly that text (what the next read will decode), so a text seen valid before is accepted
   * without more work; a new one is decoded and its instance kept for the next read.
   */
  check(schema: SessionSchemaDefinition, value: unknown): MaybePromise<Checked> {
    const text = serialise(schema, value);
    return typeof text === 'string' ? this.checkText(schema, text) : refused(text);
  }

  /** `check` for a value already serialised (by the caller, once). */
  checkText(schema: SessionSchemaDefinition, text: string): MaybePromise<Checked> {
    if (this.cacheOf(schema).has(text)) return { ok: true, text };
    let plain: unknown;
    try {
      plain = JSON.parse(text);
    } catch {
      return refused(shapeFailure(schema.key, SHAPE_CONSTRAINTS.json, `${schema.key} is not JSON`));
    }
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
      return refused(notAnObject(schema));
    }
    const shape = shapeOf(schema, text);
    if (shape) return refused(shape);
    const outcome = this.run(schema, plain as Record<string, unknown>);
    return outcome instanceof Promise
      ? outcome.then((run) => this.checked(schema, text, run))
      : this.checked(schema, text, outcome);
  }

  /** Whether this schema decodes and checks synchronously (it compiled). */
  isSynchronous(schema: SessionSchemaDefinition): boolean {
    return runnerFor(schema.type).fallbackReason === undefined;
  }

  /** A fresh copy of the instance a text decoded to before, or `undefined`. */
  known<T extends object>(schema: SessionSchemaDefinition, text: string): T | undefined {
    const instance = this.valid.get(schema)?.get(text);
    return instance === undefined ? undefined : (cloneInstance(instance) as T);
  }

  private decodeParsed<T extends object>(
    schema: SessionSchemaDefinition,
    plain: unknown,
    text: string,
    migrated: boolean,
  ): MaybePromise<Decoded<T>> {
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
      return refused(notAnObject(schema));
    }
    const shape = shapeOf(schema, text);
    if (shape) return refused(shape);
    const outcome = this.run(schema, plain as Record<string, unknown>);
    const finish = (run: SchemaRun): Decoded<T> => {
      if (run.failures.length) return refused(...run.failures);
      // The run's instance is new and nobody else holds it: the caller gets it, the cache a copy.
      if (!migrated) this.remember(schema, text, run.instance);
      return { ok: true, value: run.instance as T };
    };
    return outcome instanceof Promise ? outcome.then(finish) : finish(outcome);
  }

  private checked(schema: SessionSchemaDefinition, text: string, run: SchemaRun): Checked {
    if (run.failures.length) return refused(...run.failures);
    const stored = run.stripped ? JSON.stringify(run.instance) : text;
    // The instance was hydrated for this check alone and goes to no caller: kept as it is.
    this.remember(schema, stored, run.instance, true);
    return { ok: true, text: stored };
  }

  private run(
    schema: SessionSchemaDefinition,
    plain: Record<string, unknown>,
  ): MaybePromise<SchemaRun> {
    return runnerFor(schema.type).run(plain, schema.key, schema.unknownProperties === 'strip');
  }

  /**
   * Keep the instance `text` decodes to. The cached instance is never handed out (callers get
   * copies), so handlers cannot change it; one a caller also holds is copied first.
   */
  private remember(
    schema: SessionSchemaDefinition,
    text: string,
    instance: object,
    unshared = false,
  ): void {
    const cache = this.cacheOf(schema);
    if (cache.has(text)) return;
    cache.set(text, unshared ? instance : cloneInstance(instance));
  }

  private cacheOf(schema: SessionSchemaDefinition): RecentCache<string, object> {
    let cache = this.valid.get(schema);
    if (!cache) {
      cache = new RecentCache(CACHE_LIMIT);
      this.valid.set(schema, cache);
    }
    return cache;
  }
}

/** JSON text of a value, or the failure saying why it has none that fits a namespace. */
function serialise(schema: SessionSchemaDefinition, value: unknown): string | SchemaFailure {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return notAnObject(schema);
  }
  try {
    return JSON.stringify(value);
  } catch (error) {
    // Circular, a BigInt, or nested past the stack.
    const reason = error instanceof Error ? error.message : String(error);
    return shapeFailure(
      schema.key,
      SHAPE_CONSTRAINTS.json,
      `${schema.key} is not JSON (${reason})`,
    );
  }
}

/** The object-level failure of a text already known to be a JSON object, if any. */
function shapeOf(schema: SessionSchemaDefinition, text: string): SchemaFailure | undefined {
  if (!nestsDeeperThan(text, MAX_NESTING_DEPTH)) return undefined;
  return shapeFailure(
    schema.key,
    SHAPE_CONSTRAINTS.depth,
    `${schema.key} is nested deeper than ${MAX_NESTING_DEPTH} levels`,
  );
}

function notAnObject(schema: SessionSchemaDefinition): SchemaFailure {
  return shapeFailure(schema.key, SHAPE_CONSTRAINTS.object, `${schema.key} must be a JSON object`);
}

function refused(...details: SchemaFailure[]): {
  ok: false;
  failures: FieldFailure[];
  details: SchemaFailure[];
} {
  return { ok: false, failures: toFieldFailures(details), details };
}
