import type { JsonValue } from '../store/json-value.js';
import type { SessionSchemaClass } from '../schema/session-schema.decorator.js';
import type { FlashSchemaClass } from '../flash/flash-schema.decorator.js';

/**
 * The current request's session: the untyped bag of ASP.NET's `ISession` (`get`/`set`/`remove`/
 * `clear`/`keys`), typed views (`load`), and the life-cycle calls. Inject it with
 * `@Session() session: SessionHandle`, or get it from `SessionService` in a guard or provider.
 * Changes are committed after the route's handler, before the response is sent.
 */
export abstract class SessionHandle {
  /** The session id (for a new session, the id it will be stored under). */
  abstract readonly id: string;
  /** `true` until the session has been stored: no session existed when this request came in. */
  abstract readonly isNew: boolean;

  /**
   * The value under `key` (case-sensitive), or `undefined`. Objects are live: mutate them and
   * the change is committed. A key bound to a `@SessionSchema` returns the same object as
   * `load()` when that has been called.
   */
  abstract get<T = JsonValue>(key: string): T | undefined;
  /** Store a JSON-serialisable value under `key`; `undefined` removes the key. */
  abstract set(key: string, value: unknown): void;
  abstract remove(key: string): void;
  /** Remove every key, typed namespaces included. */
  abstract clear(): void;
  /** Every key that holds a value. */
  abstract keys(): string[];
  /** The validated, typed view of one namespace (its defaults when the session has none yet). */
  abstract load<T extends object>(schema: SessionSchemaClass<T>): Promise<T>;
  /**
   * Leave a message for a later request (after a redirect, say): stored with the session, and
   * readable exactly once, by `takeFlash(key)` or a `@Flash(key)` parameter. With a
   * `@FlashSchema` class (or a key one types), the value is validated now: an invalid one throws
   * `SessionValidationError` naming the fields, and nothing is left.
   */
  abstract flash(key: string, value: JsonValue): void;
  abstract flash<T extends object>(type: FlashSchemaClass<T>, value: T): void;
  /**
   * The flash message under `key`, removed as it is read; `undefined` when there is none. With a
   * `@FlashSchema` class (or a key one types): a validated instance of it, and a stored message
   * that fails the schema is dropped with a logged warning (`undefined`, never a 500).
   */
  abstract takeFlash<T = JsonValue>(key: string): T | undefined;
  abstract takeFlash<T extends object>(type: FlashSchemaClass<T>): T | undefined;
  /** The user the session is bound to by `setUser`, or `null`. */
  abstract readonly userId: string | null;
  /** What `setUser` attached to the session (user agent, IP, ...); `{}` when unbound. */
  abstract readonly userInfo: Readonly<Record<string, JsonValue>>;
  /**
   * Bind the session to a user, so that `SessionService.listForUser(userId)` lists it and
   * `destroyForUser(userId)` ends it; `info` (a small JSON object) is shown in that list. Call it
   * at login, after `regenerate()`; the binding moves with later regenerates. `null` unbinds.
   * Committed with the rest of the session, atomically.
   */
  abstract setUser(userId: string | null, info?: Record<string, JsonValue>): void;
  /** A new id for the same data; the old id stops working (call it after a login). */
  abstract regenerate(): Promise<void>;
  /** End the session: data deleted now, cookie cleared by the response (ASP.NET's `Abandon`). */
  abstract destroy(): Promise<void>;
  /** Refresh the expiry at commit even if nothing changed and `touchAfter` has not passed. */
  abstract touch(): void;
  /**
   * Commit now, for a handler that writes the response itself (`@Res()`): call it before
   * sending. Committing twice writes only what changed in between.
   */
  abstract commit(): Promise<void>;
}
