/**
 * One copy per process of what must have one identity: the `SessionStore` class (a DI token and
 * the base of every store) and the errors stores throw (checked with `instanceof`).
 *
 * The package ships a CommonJS and an ES module build. An app can end up loading both (an ESM
 * app with a store package compiled to CommonJS, or the reverse); each build then evaluates its
 * own `store/` modules. The first build to load defines each value here, keyed by a name that
 * is global to the realm (`Symbol.for`), and the other build takes that same value, so a store
 * from either build is an `instanceof SessionStore` of both and provides the same token.
 *
 * The key carries the contract's version: raise it when these classes change incompatibly, so
 * two incompatible installed versions never share a class.
 */
const REGISTRY_KEY = Symbol.for('nestjs-typed-session/process-wide@1');

type Registry = Map<string, unknown>;

function registry(): Registry {
  const realm = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Registry };
  return (realm[REGISTRY_KEY] ??= new Map());
}

/** The value registered under `name`, registering `value` if this is the first build to ask. */
export function processWide<T>(name: string, value: T): T {
  const shared = registry();
  if (!shared.has(name)) shared.set(name, value);
  return shared.get(name) as T;
}
