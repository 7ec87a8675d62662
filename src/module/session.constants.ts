/** Metadata key for `@SessionSchema` definitions. */
export const SESSION_SCHEMA = 'nestjs-typed-session:schema';
/** Metadata key, on a handler, for the session parameters it declares. */
export const SESSION_PARAMS = 'nestjs-typed-session:params';
/** Metadata key, on a handler or controller, for `@SessionLock()` options. */
export const SESSION_LOCK = 'nestjs-typed-session:lock';
/** DI token of the validated options with defaults filled in. */
export const RESOLVED_SESSION_OPTIONS = Symbol('RESOLVED_SESSION_OPTIONS');
