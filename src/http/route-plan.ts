import { Injectable } from '@nestjs/common';
import type { SessionSchemaDefinition } from '../schema/session-schema.decorator.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import {
  readMethodMetadata,
  readRouteMetadata,
  SESSION_LOCK,
  SESSION_PARAMS,
  USES_SESSION,
} from './route-metadata.js';
import type { SessionLockOptions } from './session-lock.decorator.js';

/** What one `@Session()` parameter asks for. */
export interface SessionParamSpec {
  schema: SessionSchemaDefinition | null;
  readonly: boolean;
}

/** What a route needs from the session, worked out once at start-up. */
export interface RoutePlan {
  /** `Controller.method()`, for messages. */
  readonly name: string;
  /** The route uses the session: its changes are committed. */
  readonly usesSession: boolean;
  /** It has `@Session()` or `@Flash()` parameters (which wait for the session to be loaded). */
  readonly hasParams: boolean;
  readonly schemas: readonly SessionSchemaDefinition[];
  readonly readonly: boolean;
  readonly lock: Required<SessionLockOptions> | null;
}

/** The plan of one controller method from its metadata (see `route-metadata.ts`). */
export function planRoute(
  controller: { name: string },
  method: string,
  options: ResolvedSessionOptions,
): RoutePlan {
  const params = readMethodMetadata<SessionParamSpec[]>(SESSION_PARAMS, controller, method) ?? [];
  const lock = readRouteMetadata<SessionLockOptions>(SESSION_LOCK, controller, method);
  const marked = readRouteMetadata<boolean>(USES_SESSION, controller, method) === true;
  const defaults = options.lock;
  return {
    name: `${controller.name}.${method}()`,
    usesSession: params.length > 0 || lock !== undefined || marked,
    hasParams: params.length > 0,
    schemas: params.flatMap((param) => (param.schema ? [param.schema] : [])),
    readonly: params.some((param) => param.readonly),
    lock: lock
      ? { waitMs: lock.waitMs ?? defaults.waitMs, ttlMs: lock.ttlMs ?? defaults.ttlMs }
      : null,
  };
}

/**
 * The plan of every route the library runs on, keyed by the handler function Nest calls
 * (`ExecutionContext.getHandler()`), filled in at start-up by `SessionRouteBinder`.
 */
@Injectable()
export class RoutePlans {
  private readonly plans = new WeakMap<object, RoutePlan>();

  set(handler: object, plan: RoutePlan): void {
    this.plans.set(handler, plan);
  }

  get(handler: object): RoutePlan | undefined {
    return this.plans.get(handler);
  }
}
