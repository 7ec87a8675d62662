import type { FieldFailure } from './field-failure.js';

/**
 * One failing field with the names of the constraints it broke, in the order class-validator
 * reports them (`constraints` and `messages` pair up by index). The names exist for tests and
 * logs; the public `FieldFailure` carries the field and the messages.
 */
export interface SchemaFailure {
  field: string;
  constraints: string[];
  messages: string[];
}

/** Constraint names the codec itself reports, beside class-validator's own. */
export const SHAPE_CONSTRAINTS = {
  /** The stored text is not JSON. */
  json: 'isJson',
  /** The namespace's value is not a JSON object (a string, number, boolean, null or array). */
  object: 'isObject',
  /** The value is nested deeper than `MAX_NESTING_DEPTH`. */
  depth: 'maxDepth',
  /** Building the instance threw (e.g. a class's constructor, or a date from an odd object). */
  hydration: 'hydration',
} as const;

export function shapeFailure(field: string, constraint: string, message: string): SchemaFailure {
  return { field, constraints: [constraint], messages: [message] };
}

export function toFieldFailures(failures: SchemaFailure[]): FieldFailure[] {
  return failures.map(({ field, messages }) => ({ field, messages }));
}
