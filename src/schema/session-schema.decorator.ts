import { processWide } from '../store/process-wide.js';

/** Metadata key, on a `@SessionSchema` class, for its definition. */
const SESSION_SCHEMA = 'nestjs-typed-session:schema';

export interface SessionSchemaOptions {
  /** The namespace (session key) this class is the typed view of. */
  key: string;
  /** Version of the stored shape. Default 1. Raise it when the shape changes. */
  version?: number;
  /**
   * Turns data stored by an older version into this version's plain shape. Called when the
   * stored version differs from `version`; its result is validated like any stored data.
   */
  migrate?: (stored: unknown, storedVersion: number) => unknown;
  /**
   * What happens when another request committed this namespace after this one loaded it:
   * `'overwrite'` (default, last write wins for this namespace only) or `'reject'` (409).
   */
  onConflict?: 'overwrite' | 'reject';
  /**
   * Properties the class does not declare (no class-validator decorator), at any level reached
   * by `@ValidateNested`: `'reject'` (default) makes them a failure (`whitelistValidation`:
   * invalid stored data on the way in, `SessionValidationError` at commit); `'strip'` drops them
   * silently on the way in and out.
   */
  unknownProperties?: 'reject' | 'strip';
}

/** A class decorated with `@SessionSchema`, with a no-argument constructor for its defaults. */
export type SessionSchemaClass<T extends object = object> = new () => T;

export interface SessionSchemaDefinition {
  key: string;
  version: number;
  migrate?: SessionSchemaOptions['migrate'];
  onConflict: 'overwrite' | 'reject';
  unknownProperties: 'reject' | 'strip';
  type: SessionSchemaClass;
}

/** Reserved prefix: keys starting with it hold the library's own bookkeeping. */
export const RESERVED_KEY_PREFIX = '$';
// Shared by the CommonJS and ESM builds: a schema declared through one is known to the other
// (the testing helpers look schemas up by key).
const registry = processWide('schema-registry', new Map<string, SessionSchemaDefinition>());

/**
 * Marks a class as the typed, validated view of one session namespace. Its validation rules are
 * class-validator decorators; property initialisers are the defaults of an empty session.
 */
export function SessionSchema(keyOrOptions: string | SessionSchemaOptions): ClassDecorator {
  const options = typeof keyOrOptions === 'string' ? { key: keyOrOptions } : keyOrOptions;
  return (target) => {
    const { key } = options;
    const where = `@SessionSchema on ${target.name}`;
    if (typeof key !== 'string' || key.length === 0 || key.startsWith(RESERVED_KEY_PREFIX)) {
      throw new Error(`${where}: key must be a non-empty string not starting with "$"`);
    }
    const version = options.version ?? 1;
    if (!Number.isInteger(version) || version < 1) {
      throw new Error(`${where}: version must be a positive integer`);
    }
    const unknownProperties = options.unknownProperties ?? 'reject';
    if (unknownProperties !== 'reject' && unknownProperties !== 'strip') {
      throw new Error(`${where}: unknownProperties must be 'reject' or 'strip'`);
    }
    const existing = registry.get(key);
    if (existing && existing.type.name !== target.name) {
      throw new Error(`${where}: key "${key}" is already used by ${existing.type.name}`);
    }
    const definition: SessionSchemaDefinition = {
      key,
      version,
      migrate: options.migrate,
      onConflict: options.onConflict ?? 'overwrite',
      unknownProperties,
      type: target as unknown as SessionSchemaClass,
    };
    registry.set(key, definition);
    Reflect.defineMetadata(SESSION_SCHEMA, definition, target);
  };
}

/** The definition of a `@SessionSchema` class, or `undefined` for any other value. */
export function schemaOf(type: unknown): SessionSchemaDefinition | undefined {
  if (typeof type !== 'function') return undefined;
  return Reflect.getOwnMetadata(SESSION_SCHEMA, type) as SessionSchemaDefinition | undefined;
}

/** The schema bound to a session key, if any class declared it. */
export function schemaForKey(key: string): SessionSchemaDefinition | undefined {
  return registry.get(key);
}

/** Where flash messages wait for the request that takes them. */
export const FLASH_KEY = `${RESERVED_KEY_PREFIX}flash`;

/** Where a schema's stored version is kept: a hidden key written with the namespace. */
export function versionKey(key: string): string {
  return `${RESERVED_KEY_PREFIX}v:${key}`;
}
