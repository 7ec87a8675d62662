// The core entry, `nestjs-typed-session`: the module, decorators, handle, service, errors, the
// store contract and the memory store. It never loads ioredis or pg: the other stores have entries
// of their own (`nestjs-typed-session/redis`, `/postgres`, `/express-session`).
// First: refuses to load when the other build (CommonJS or ESM) already did.
import './module/single-core-build.js';

export { SessionModule } from './module/session.module.js';
export {
  SESSION_MODULE_OPTIONS,
  type SessionModuleAsyncOptions,
  type SessionModuleForRootOptions,
  type SessionOptionsFactory,
} from './module/session.module-definition.js';
export type {
  SameSite,
  SessionCookieOptions,
  SessionLockDefaults,
  SessionModuleOptions,
  SessionStoreKeyOptions,
} from './options/session-options.js';
export { SessionOptionsError } from './options/resolve-session-options.js';
export { Session, type SessionParamOptions } from './http/session.decorator.js';
export {
  SessionSchema,
  type SessionSchemaClass,
  type SessionSchemaOptions,
} from './schema/session-schema.decorator.js';
export { SessionLock, type SessionLockOptions } from './http/session-lock.decorator.js';
export { UsesSession } from './http/uses-session.decorator.js';
export { Flash } from './http/flash.decorator.js';
export {
  FlashSchema,
  type FlashSchemaClass,
  type FlashSchemaOptions,
} from './flash/flash-schema.decorator.js';
export { SessionHandle } from './session/session-handle.js';
export { SessionService } from './http/session.service.js';
export type {
  DestroyUserSessionsOptions,
  ListForUserOptions,
  UserSession,
} from './users/user-session.js';
export { SessionUserIndexUnsupportedError } from './users/session-user-index-unsupported.error.js';
export { SessionEvents } from './events/session-events.js';
export type { SessionEvent, SessionEventType } from './events/session-event.js';
export {
  SessionConflictError,
  SessionNotCommittedError,
  SessionInterruptedError,
  SessionLockTimeoutError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionValidationError,
  StoredSessionInvalidError,
} from './errors/session-errors.js';
export type { JsonValue } from './store/json-value.js';
export {
  expiresAt,
  isExpired,
  type SessionLockRequest,
  type SessionMetadata,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
} from './store/session-record.js';
export type { SessionOwner } from './store/session-owner.js';
export type { DestroyForUserOptions, UserSessionEntry } from './store/user-session-entry.js';
export { SessionStore } from './store/session-store.js';
export {
  StoreExpiryListeners,
  type SessionExpiryCause,
  type StoreExpiry,
  type StoreExpiryListener,
} from './store/session-expiry.js';
export { CorruptSessionRecordError, SessionStoreError } from './store/session-store-error.js';
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
} from './stores/memory/memory-session-store.js';
