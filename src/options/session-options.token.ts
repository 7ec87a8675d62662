/** DI token of the validated options with defaults filled in. */
export const RESOLVED_SESSION_OPTIONS = Symbol.for('nestjs-typed-session:RESOLVED_SESSION_OPTIONS');
