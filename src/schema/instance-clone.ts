/**
 * A deep copy of a hydrated session instance: class instances are rebuilt through their own
 * constructor (as class-transformer does), plain objects and arrays copied, dates cloned.
 * Session data is JSON-shaped, so nothing else can occur.
 */
export function cloneInstance<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(cloneInstance) as T;
  const type = (value as object).constructor as (new () => object) | undefined;
  const copy: Record<string, unknown> =
    type && type !== Object ? (new type() as Record<string, unknown>) : {};
  for (const key of Object.keys(value)) {
    copy[key] = cloneInstance((value as Record<string, unknown>)[key]);
  }
  return copy as T;
}
