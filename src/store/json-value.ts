/** A value that survives `JSON.stringify` / `JSON.parse` unchanged: what a session namespace holds. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
