/**
 * Route metadata of this library, kept on the controller class by method name, where Nest keeps
 * its own route arguments: a decorator that wraps the method (a `@Timed()` that replaces the
 * function) cannot hide it, because the name survives the wrapping and the function does not.
 */

/** The `@Session()` parameters a handler declares. */
export const SESSION_PARAMS = 'nestjs-typed-session:params';
/** `@SessionLock()` options, on a handler or a controller. */
export const SESSION_LOCK = 'nestjs-typed-session:lock';
/** `@UsesSession()`, on a handler or a controller. */
export const USES_SESSION = 'nestjs-typed-session:uses-session';

/** The class that owns a decorated member: decorators get its prototype (or itself, if static). */
function ownerOf(target: object): object {
  return typeof target === 'function' ? target : target.constructor;
}

/**
 * A method decorator (`propertyKey` given) or a class decorator that records `value` under `key`.
 * Method-level values are stored on the class, by method name.
 */
export function routeMetadataDecorator(
  key: string,
  value: unknown,
): ClassDecorator & MethodDecorator {
  return (target: object, propertyKey?: string | symbol) => {
    if (propertyKey === undefined) Reflect.defineMetadata(key, value, target);
    else Reflect.defineMetadata(key, value, ownerOf(target), propertyKey);
  };
}

/** Append `item` to a method's list under `key` (stored on the class, by method name). */
export function appendMethodMetadata(
  key: string,
  item: unknown,
  target: object,
  propertyKey: string | symbol,
): void {
  const owner = ownerOf(target);
  const list = (Reflect.getOwnMetadata(key, owner, propertyKey) as unknown[] | undefined) ?? [];
  Reflect.defineMetadata(key, [...list, item], owner, propertyKey);
}

/** A method's value under `key`, else its controller's (inherited classes included). */
export function readRouteMetadata<T>(
  key: string,
  controller: object,
  method: string | symbol,
): T | undefined {
  return (
    (Reflect.getMetadata(key, controller, method) as T | undefined) ??
    (Reflect.getMetadata(key, controller) as T | undefined)
  );
}

/** A method's own value under `key` (no controller fallback). */
export function readMethodMetadata<T>(
  key: string,
  controller: object,
  method: string | symbol,
): T | undefined {
  return Reflect.getMetadata(key, controller, method) as T | undefined;
}
