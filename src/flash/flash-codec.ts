import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FieldFailure } from '../schema/field-failure.js';
import { flattenErrors, runnerFor, type SchemaRun } from '../schema/schema-runner.js';
import { toFieldFailures } from '../schema/schema-failure.js';
import type { FlashSchemaDefinition } from './flash-schema.decorator.js';

/** A flash value checked against its schema: the instance, or the fields that failed. */
export type FlashCheck<T = object> =
  { ok: true; instance: T } | { ok: false; failures: FieldFailure[] };

/**
 * Hydrates and validates a flash value, synchronously: with the schema's compiled runner when
 * it compiles, else class-transformer and class-validator's `validateSync`. Failures are named
 * `flash.<key>.<path>`. A value that is not an object fails as a whole.
 */
export function checkFlash<T extends object>(
  schema: FlashSchemaDefinition,
  value: unknown,
): FlashCheck<T> {
  const field = `flash.${schema.key}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, failures: [{ field, messages: [`${field} must be an object`] }] };
  }
  let plain: Record<string, unknown>;
  try {
    // Through JSON, as it will be stored: what passes here is what the next request reads.
    plain = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch (error) {
    return {
      ok: false,
      failures: [{ field, messages: [`${field} is not JSON (${String(error)})`] }],
    };
  }
  const run = runSync(schema, plain, field);
  if (run.failures.length) return { ok: false, failures: toFieldFailures(run.failures) };
  return { ok: true, instance: run.instance as T };
}

function runSync(
  schema: FlashSchemaDefinition,
  plain: Record<string, unknown>,
  field: string,
): SchemaRun {
  const strip = schema.unknownProperties === 'strip';
  const runner = runnerFor(schema.type);
  if (runner.fallbackReason === undefined) return runner.run(plain, field, strip) as SchemaRun;
  let instance: object;
  try {
    instance = plainToInstance(schema.type, plain, { exposeDefaultValues: true });
  } catch (error) {
    const message = `${field} could not be built (${String(error)})`;
    return {
      instance: plain,
      failures: [{ field, constraints: ['hydration'], messages: [message] }],
      stripped: false,
    };
  }
  const errors = validateSync(instance, {
    forbidUnknownValues: false,
    whitelist: true,
    forbidNonWhitelisted: !strip,
  });
  return { instance, failures: flattenErrors(errors, field), stripped: strip };
}
