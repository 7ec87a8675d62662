import {
  Inject,
  Injectable,
  UseInterceptors,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { planRoute, RoutePlans } from './route-plan.js';
import { SessionInterceptor } from './session.interceptor.js';

/** Nest's own keys (stable since Nest 5): a route's path, and its parameters' metadata. */
const PATH_METADATA = 'path';
const INTERCEPTORS_METADATA = '__interceptors__';
const ROUTE_ARGS_METADATA = '__routeArguments__';
/** `RouteParamtypes.SESSION`: Nest's own `@Session()` from `@nestjs/common`. */
const NEST_SESSION_PARAM = 7;

/**
 * Puts the commit interceptor on exactly the routes that use the session (or on every route with
 * `everyRoute`), at start-up, so that other routes run no code of this library. It runs from
 * `SessionModule.configure()`, the last step before Nest builds its routes, and sets this
 * application's interceptor instance in place of any earlier application's on the same
 * controller class (Nest reads the list once, when it builds the route).
 */
@Injectable()
export class SessionRouteBinder {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly plans: RoutePlans,
    private readonly interceptor: SessionInterceptor,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  bindRoutes(): void {
    for (const { controller, method, handler } of this.routes()) {
      const plan = planRoute(controller, method, this.options);
      if (!plan.usesSession && !this.options.everyRoute) continue;
      this.plans.set(handler, plan);
      const others = (
        (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []
      ).filter((interceptor) => !(interceptor instanceof SessionInterceptor));
      Reflect.deleteMetadata(INTERCEPTORS_METADATA, handler);
      if (others.length) Reflect.defineMetadata(INTERCEPTORS_METADATA, others, handler);
      // A method decorator called by hand on the final function (wrappers included).
      UseInterceptors(this.interceptor as NestInterceptor)(controller.prototype as object, method, {
        value: handler,
      });
    }
  }

  /**
   * Nest's `@Session()` (from `@nestjs/common`) injects `req.session`, which this module does not
   * provide: an IDE's auto-import picks it silently. Fail the boot instead, unless the
   * application does run express-session or @fastify/session.
   */
  assertNoNestSessionParams(): void {
    if (this.platformSessionInUse()) return;
    const offenders: string[] = [];
    for (const { controller, method } of this.routes()) {
      const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) as
        Record<string, unknown> | undefined;
      if (Object.keys(args ?? {}).some((key) => key.startsWith(`${NEST_SESSION_PARAM}:`))) {
        offenders.push(`${controller.name}.${method}()`);
      }
    }
    if (offenders.length) {
      throw new Error(
        `${offenders.join(', ')} use @Session() from '@nestjs/common', which injects req.session ` +
          `(undefined with SessionModule): import { Session } from 'nestjs-typed-session' instead`,
      );
    }
  }

  private *routes(): Generator<{ controller: Type; method: string; handler: object }> {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (typeof controller !== 'function' || !controller.prototype) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        yield { controller, method, handler };
      }
    }
  }

  /** express-session's middleware is named `session`; @fastify/session decorates the request. */
  private platformSessionInUse(): boolean {
    const server = this.adapterHost.httpAdapter?.getInstance() as
      | {
          hasRequestDecorator?: (name: string) => boolean;
          router?: { stack?: Array<{ name?: string }> };
          _router?: { stack?: Array<{ name?: string }> };
        }
      | undefined;
    if (!server) return false;
    if (typeof server.hasRequestDecorator === 'function') {
      return server.hasRequestDecorator('session');
    }
    const stack = server.router?.stack ?? server._router?.stack ?? [];
    return stack.some((layer) => layer.name === 'session');
  }
}
