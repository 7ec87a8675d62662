import type { SessionServices } from '../session/request-registry.js';
import type { RoutePlan } from './route-plan.js';

/** What one route of one application needs at request time: its plan and that app's services. */
export interface RouteBinding {
  readonly plan: RoutePlan;
  readonly services: SessionServices;
}

/**
 * The binding of each handler function the library put on a route (`SessionRouteBinder`), keyed
 * by that function, which is what Nest hands parameter decorators as
 * `ExecutionContext.getHandler()`. Module-wide because parameter decorators are: each
 * application binds its own function, so two applications never share an entry.
 */
const bindings = new WeakMap<object, RouteBinding>();

export function setRouteBinding(handler: object, binding: RouteBinding): void {
  bindings.set(handler, binding);
}

export function routeBindingOf(handler: object): RouteBinding | undefined {
  return bindings.get(handler);
}
