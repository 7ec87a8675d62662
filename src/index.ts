export { SessionModule } from './session.module.js';
export {
  SESSION_ASYNC_OPTIONS_TYPE,
  SESSION_MODULE_OPTIONS,
  SESSION_OPTIONS_TYPE,
} from './session.module-definition.js';
export type {
  SameSite,
  SessionCookieOptions,
  SessionLockDefaults,
  SessionModuleOptions,
} from './session-options.js';
export { SessionOptionsError } from './resolve-session-options.js';
export { Session, type SessionParamOptions } from './session.decorator.js';
export {
  SessionSchema,
  type SessionSchemaClass,
  type SessionSchemaOptions,
} from './session-schema.decorator.js';
export { SessionLock, type SessionLockOptions } from './session-lock.decorator.js';
export { SessionHandle } from './session-handle.js';
export { SessionService } from './session.service.js';
export { SessionInterceptor } from './session.interceptor.js';
export {
  SessionConflictError,
  SessionInterruptedError,
  SessionLockTimeoutError,
  SessionStoreUnavailableError,
  SessionTooLargeError,
  SessionValidationError,
  StoredSessionInvalidError,
} from './session-errors.js';
export type { JsonValue } from './json-value.js';
export {
  expiresAt,
  isExpired,
  type SessionLockRequest,
  type SessionMetadata,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
} from './session-record.js';
export { SessionStore } from './session-store.js';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-session-store.js';
export {
  PostgresSessionStore,
  type PostgresPool,
  type PostgresSessionStoreOptions,
} from './postgres-session-store.js';
export {
  ExpressSessionStoreAdapter,
  type ExpressSessionStoreAdapterOptions,
  type ExpressSessionStoreLike,
  type ExpressSessionLike,
  type ExpressSessionCookieLike,
} from './express-session-store-adapter.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export type { RedisClient, RedisConnectionOptions, RedisEndpoint } from './redis-options.js';
export { jsonTextSerializer, type RedisSessionSerializer } from './redis-session-serializer.js';
