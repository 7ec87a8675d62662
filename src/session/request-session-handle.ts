import type { JsonValue } from '../store/json-value.js';
import { Logger } from '@nestjs/common';
import { SessionNotCommittedError, SessionValidationError } from '../errors/session-errors.js';
import { checkFlash } from '../flash/flash-codec.js';
import {
  flashSchemaForKey,
  flashSchemaOf,
  type FlashSchemaClass,
  type FlashSchemaDefinition,
} from '../flash/flash-schema.decorator.js';
import {
  FLASH_KEY,
  RESERVED_KEY_PREFIX,
  schemaOf,
  type SessionSchemaClass,
} from '../schema/session-schema.decorator.js';
import type { SessionCommitter } from './session-committer.js';
import type { SessionLoader } from './session-loader.js';
import { SessionHandle } from './session-handle.js';
import type { SessionState } from './session-state.js';
import { unstorableKey, unstorableText } from './storable-text.js';
import { checkedOwner } from './session-owner-input.js';

/**
 * The `SessionHandle` a handler, guard or provider receives: exactly the documented API. The
 * request's state and the services sit in private fields (`#`), out of reach of the code that holds
 * the handle, so nothing but these methods can change what is committed.
 */
export class RequestSessionHandle extends SessionHandle {
  readonly #state: SessionState;
  readonly #loader: SessionLoader;
  readonly #committer: SessionCommitter;

  constructor(state: SessionState, loader: SessionLoader, committer: SessionCommitter) {
    super();
    this.#state = state;
    this.#loader = loader;
    this.#committer = committer;
  }

  get id(): string {
    return this.#loader.idOf(this.#state);
  }

  get isNew(): boolean {
    return this.#state.isNew;
  }

  get<T = JsonValue>(key: string): T | undefined {
    this.#assertLoaded();
    return this.#loader.slot(this.#state, key).value as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.#assertWritable('set');
    assertUserKey(key);
    if (value === undefined) return this.remove(key);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new TypeError(
        `session.set('${key}'): value is not JSON-serialisable (${String(error)})`,
        { cause: error },
      );
    }
    if (text === undefined) {
      throw new TypeError(`session.set('${key}'): value is not JSON-serialisable`);
    }
    const unstorable = unstorableText(text);
    if (unstorable) throw new TypeError(`session.set('${key}'): the value ${unstorable}`);
    const slot = this.#loader.slot(this.#state, key);
    slot.value = value;
    slot.schema = undefined;
    slot.unreadable = false;
  }

  remove(key: string): void {
    this.#assertWritable('remove');
    assertUserKey(key);
    const slot = this.#loader.slot(this.#state, key);
    slot.value = undefined;
    slot.unreadable = false;
  }

  clear(): void {
    this.#assertWritable('clear');
    for (const key of this.#state.keys()) this.remove(key);
    for (const [key, slot] of this.#state.slots) {
      if (slot.unreadable) this.remove(key);
    }
  }

  keys(): string[] {
    this.#assertLoaded();
    return this.#state.keys();
  }

  async load<T extends object>(type: SessionSchemaClass<T>): Promise<T> {
    const schema = schemaOf(type);
    if (!schema) throw new TypeError(`${type?.name ?? String(type)} is not a @SessionSchema class`);
    await this.#loader.ready(this.#state);
    const value = (await this.#loader.materialize(this.#state, schema)) as T;
    // On a route that never commits, a change to the typed view would be lost: frozen, it throws
    // at the assignment instead (modules run in strict mode).
    return this.#state.commits ? value : deepFreeze(value);
  }

  flash(keyOrType: string | FlashSchemaClass, value: unknown): void {
    this.#assertWritable('flash');
    const { key, schema } = flashTarget(keyOrType);
    const problem = unstorableKey(key);
    if (problem) throw new TypeError(`flash key ${JSON.stringify(key)} ${problem}`);
    let stored: unknown = value;
    if (schema) {
      const checked = checkFlash(schema, value);
      if (!checked.ok) throw new SessionValidationError(checked.failures);
      stored = checked.instance;
    }
    const text = JSON.stringify(stored);
    if (stored === undefined || text === undefined) {
      throw new TypeError(`session.flash('${key}'): value is not JSON-serialisable`);
    }
    const unstorable = unstorableText(text);
    if (unstorable) throw new TypeError(`session.flash('${key}'): the value ${unstorable}`);
    const slot = this.#loader.slot(this.#state, FLASH_KEY);
    const messages = asMessages(slot.value);
    messages[key] = JSON.parse(text) as JsonValue;
    slot.value = messages;
  }

  takeFlash<T>(keyOrType: string | FlashSchemaClass): T | undefined {
    this.#assertLoaded();
    const { key, schema } = flashTarget(keyOrType);
    const slot = this.#loader.slot(this.#state, FLASH_KEY);
    const messages = asMessages(slot.value);
    if (!Object.hasOwn(messages, key)) return undefined;
    this.#assertWritable('takeFlash'); // taking one is a write: it must not come back
    const value = messages[key];
    delete messages[key];
    slot.value = Object.keys(messages).length ? messages : undefined;
    if (!schema) return value as T;
    const checked = checkFlash(schema, value);
    if (checked.ok) return checked.instance as T;
    // Left by an older deploy, or edited in the store: dropped (already removed), never a 500.
    const fields = checked.failures.map((failure) => failure.field).join(', ');
    const tag = this.#loader.tag(this.#loader.idOf(this.#state));
    flashLogger.warn(`session ${tag}: flash "${key}" failed its schema (${fields}); dropped`);
    return undefined;
  }

  get userId(): string | null {
    this.#assertLoaded();
    return this.#state.owner?.userId ?? null;
  }

  get userInfo(): Readonly<Record<string, JsonValue>> {
    this.#assertLoaded();
    return structuredClone(this.#state.owner?.info ?? {});
  }

  setUser(userId: string | null, info?: Record<string, JsonValue>): void {
    this.#assertWritable('setUser');
    const owner = userId === null ? null : checkedOwner(userId, info);
    this.#state.owner = owner;
    this.#state.ownerChanged = true;
  }

  regenerate(): Promise<void> {
    try {
      this.#assertWritable('regenerate');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#committer.regenerate(this.#state);
  }

  async destroy(): Promise<void> {
    this.#assertWritable('destroy');
    await this.#committer.destroy(this.#state);
  }

  touch(): void {
    this.#state.touchRequested = true;
  }

  commit(): Promise<void> {
    return this.#committer.commit(this.#state) ?? Promise.resolve();
  }

  #assertLoaded(): void {
    if (!this.#state.loaded) {
      throw new Error(
        'The session is not loaded yet: use @Session() or `await sessionService.get(...)`',
      );
    }
  }

  #assertWritable(operation: string): void {
    this.#assertLoaded();
    if (this.#state.readonly) {
      throw new Error(`session.${operation}(): this route's session is read-only`);
    }
    if (!this.#state.commits) throw new SessionNotCommittedError(operation, this.#state.route);
  }
}

function assertUserKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.startsWith(RESERVED_KEY_PREFIX)) {
    throw new TypeError(`session key must be a non-empty string not starting with "$"`);
  }
  const problem = unstorableKey(key);
  if (problem) throw new TypeError(`session key ${JSON.stringify(key)} ${problem}`);
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

const flashLogger = new Logger('SessionModule');

/** The key a flash call names, and the schema that types it (by its class, or by its key). */
function flashTarget(keyOrType: string | FlashSchemaClass): {
  key: string;
  schema: FlashSchemaDefinition | undefined;
} {
  if (typeof keyOrType === 'function') {
    const schema = flashSchemaOf(keyOrType);
    if (!schema) throw new TypeError(`${keyOrType.name} is not a @FlashSchema class`);
    return { key: schema.key, schema };
  }
  if (typeof keyOrType !== 'string' || keyOrType.length === 0) {
    throw new TypeError('flash key must be a non-empty string or a @FlashSchema class');
  }
  return { key: keyOrType, schema: flashSchemaForKey(keyOrType) };
}

/** The flash messages of a session (a copy-free view; anything else stored there is dropped). */
function asMessages(value: unknown): Record<string, JsonValue> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, JsonValue>)
    : (Object.create(null) as Record<string, JsonValue>);
}
