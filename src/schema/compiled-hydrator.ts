import type { ClassPlan } from './schema-plan.js';

/**
 * Builds an instance from parsed JSON as `plainToInstance(type, plain, { exposeDefaultValues:
 * true })` does for the classes the compiler accepts: a fresh instance (its initialisers are the
 * defaults), then every own key of the plain object copied over, `@Type(() => Class)` values
 * hydrated into that class (arrays element by element), `@Type(() => Date)` values turned into
 * dates, anything else copied as plain data. Like class-transformer it skips `__proto__`,
 * `constructor`, and keys that would overwrite a method or a getter-only accessor.
 */
export function hydrateClass(plan: ClassPlan, plain: Record<string, unknown>): object {
  const instance = new plan.type() as Record<string, unknown>;
  for (const key in plain) {
    if (key === '__proto__' || key === 'constructor') continue;
    if (plan.blocked.has(key) || instance[key] instanceof Function) continue;
    const value = plain[key];
    const typed = plan.typed.get(key);
    if (typed === undefined) instance[key] = copyUntyped(value);
    else if (typed.kind === 'date') instance[key] = toDate(value);
    else instance[key] = toClass(typed.plan(), value);
  }
  return instance;
}

function toClass(plan: ClassPlan, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((element) => toClass(plan, element));
  if (value !== null && typeof value === 'object') {
    return hydrateClass(plan, value as Record<string, unknown>);
  }
  return value;
}

function toDate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toDate);
  if (value === null || value === undefined) return value;
  return new Date(value as string);
}

/** Untyped data: copied as class-transformer copies it into a plain object. */
function copyUntyped(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyUntyped);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(Object.prototype, key)) continue;
    copy[key] = copyUntyped((value as Record<string, unknown>)[key]);
  }
  return copy;
}
