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
