import type { SessionParamSpec } from './route-plan.js';

/**
 * What `@Session()` injects outside HTTP (a WebSocket message): the parameter's spec and the
 * client it came from. Nest resolves parameters before it calls the handler, but only the handler
 * function knows which application it belongs to (`this` is the gateway instance), so the
 * gateway binder (`nestjs-typed-session/gateway`) replaces each of these with the session of the
 * message before the method runs. Nothing here loads `@nestjs/websockets`.
 */
export class DeferredSessionParam {
  constructor(
    readonly spec: SessionParamSpec,
    readonly client: object,
  ) {}
}

/** Handler functions whose deferred parameters something will resolve (the gateway binder). */
const resolvers = new WeakSet<object>();

export function markDeferredSessionHandler(handler: object): void {
  resolvers.add(handler);
}

export function hasDeferredSessionResolver(handler: object): boolean {
  return resolvers.has(handler);
}
