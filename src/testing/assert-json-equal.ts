import assert from 'node:assert/strict';

/**
 * Deep equality of what a store answers, compared as JSON: the store contract is JSON-shaped, and
 * a store may build its records without `Object.prototype` (or with `undefined` fields), which
 * `deepStrictEqual` alone would count as a difference.
 */
export function assertJsonEqual(actual: unknown, expected: unknown): void {
  assert.deepStrictEqual(asJson(actual), asJson(expected));
}

function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
