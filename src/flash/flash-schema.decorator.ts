import { processWide } from '../store/process-wide.js';

/** Metadata key, on a `@FlashSchema` class, for its definition. */
const FLASH_SCHEMA = 'nestjs-typed-session:flash-schema';

export interface FlashSchemaOptions {
  /** The flash key this class types: `session.flash(key, ...)` and `@Flash(key)` use it too. */
  key: string;
  /**
   * Properties the class does not declare: `'reject'` (default: a failure, like any invalid
   * value) or `'strip'` (dropped silently).
   */
  unknownProperties?: 'reject' | 'strip';
}

/** A class decorated with `@FlashSchema`: class-validator rules, a no-argument constructor. */
export type FlashSchemaClass<T extends object = object> = new () => T;

export interface FlashSchemaDefinition {
  key: string;
  unknownProperties: 'reject' | 'strip';
  type: FlashSchemaClass;
}

// Shared by the CommonJS and ESM builds, as the session schemas' registry is.
const registry = processWide('flash-schema-registry', new Map<string, FlashSchemaDefinition>());

/**
 * Types the flash message under one key: `session.flash(NoticeFlash, value)` (or
 * `flash('notice', value)`) validates the value when it is left, and `takeFlash(NoticeFlash)` or
 * `@Flash(NoticeFlash)` hands the next request a validated instance of the class. A stored
 * message that no longer fits (an older deploy left it) is dropped with a logged warning.
 *
 * Validation is synchronous (flashing is): compiled rules, or class-validator's `validateSync`
 * for decorators the compiler does not know, which skips async validators.
 */
export function FlashSchema(keyOrOptions: string | FlashSchemaOptions): ClassDecorator {
  const options = typeof keyOrOptions === 'string' ? { key: keyOrOptions } : keyOrOptions;
  return (target) => {
    const { key } = options;
    const where = `@FlashSchema on ${target.name}`;
    if (typeof key !== 'string' || key.length === 0) {
      throw new Error(`${where}: key must be a non-empty string`);
    }
    const unknownProperties = options.unknownProperties ?? 'reject';
    if (unknownProperties !== 'reject' && unknownProperties !== 'strip') {
      throw new Error(`${where}: unknownProperties must be 'reject' or 'strip'`);
    }
    const existing = registry.get(key);
    if (existing && existing.type.name !== target.name) {
      throw new Error(`${where}: flash key "${key}" is already typed by ${existing.type.name}`);
    }
    const definition: FlashSchemaDefinition = {
      key,
      unknownProperties,
      type: target as unknown as FlashSchemaClass,
    };
    registry.set(key, definition);
    Reflect.defineMetadata(FLASH_SCHEMA, definition, target);
  };
}

/** The definition of a `@FlashSchema` class, or `undefined` for any other value. */
export function flashSchemaOf(type: unknown): FlashSchemaDefinition | undefined {
  if (typeof type !== 'function') return undefined;
  return Reflect.getOwnMetadata(FLASH_SCHEMA, type) as FlashSchemaDefinition | undefined;
}

/** The schema that types a flash key, if a class declared one. */
export function flashSchemaForKey(key: string): FlashSchemaDefinition | undefined {
  return registry.get(key);
}
