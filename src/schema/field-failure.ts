/** A field of a session namespace that failed its schema, as `namespace.path` with messages. */
export interface FieldFailure {
  field: string;
  messages: string[];
}
