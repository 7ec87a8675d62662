import { Inject, Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SessionCommitter } from '../session/session-committer.js';
import { SessionLoader } from '../session/session-loader.js';
import { assertGatewaysBound } from './gateway-check.js';
import { setRouteBinding, type RouteBinding } from './route-binding.js';
import { RouteCall, RouteCallParam, routeCallFactory } from './route-call.js';
import { planRoute, RoutePlans } from './route-plan.js';

/** Nest's own keys (stable since Nest 5): a route's path, and its parameters' metadata. */
const PATH_METADATA = 'path';
const ROUTE_ARGS_METADATA = '__routeArguments__';
/** `RouteParamtypes.SESSION`: Nest's own `@Session()` from `@nestjs/common`. */
const NEST_SESSION_PARAM = 7;

type Handler = (this: unknown, ...args: unknown[]) => unknown;
type RouteArgs = Record<string, { index: number; factory?: unknown }>;

/** The controller's own method behind each bound handler, so a later application binds it anew. */
const originals = new WeakMap<Handler, Handler>();

/**
 * Binds the session to exactly the routes that use it (every route with `everyRoute`), at
 * start-up, so that other routes run no code of this library. It runs from
 * `SessionModule.configure()`, the last step before Nest builds its routes.
 *
 * A bound route's method is replaced by a function of the same name and metadata that gets one
 * more, hidden parameter (`RouteCallParam`): the request's `RouteCall`, which Nest resolves with
 * the route's other parameters, so the session is loaded before the method runs and committed
 * after it returns, before Nest sends the response. This costs no more than the method call
 * itself, where an interceptor costs an Observable chain per request (measured: +13..23 µs on
 * Fastify, more on Express). Nest reads a route's handler once, when it builds the route, so each
 * application keeps the function it was built with, and a later application binds its own.
 */
@Injectable()
export class SessionRouteBinder {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly plans: RoutePlans,
    private readonly loader: SessionLoader,
    private readonly committer: SessionCommitter,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  bindRoutes(): void {
    const services = { loader: this.loader, committer: this.committer };
    for (const { controller, method, handler } of this.routes()) {
      const plan = planRoute(controller, method, this.options);
      if (!plan.usesSession && !this.options.everyRoute) continue;
      const bound = bindHandler(controller, method, handler, { plan, services });
      this.plans.set(bound, plan);
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

  /** Gateway handlers with `@Session()` need `SessionGatewayModule`: fail the boot without it. */
  assertGatewaysBound(): void {
    assertGatewaysBound(this.discovery, this.scanner);
  }

  private *routes(): Generator<{ controller: Type; method: string; handler: Handler }> {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (typeof controller !== 'function' || !controller.prototype) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        yield { controller, method, handler: handler as Handler };
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

/**
 * Put in place of `controller.prototype[method]` a function that takes the hidden `RouteCall`
 * after the method's own parameters and runs the method through it. A call without one (a unit
 * test calling the controller directly) goes straight to the method.
 */
function bindHandler(
  controller: Type,
  method: string,
  current: Handler,
  binding: RouteBinding,
): Handler {
  const original = originals.get(current) ?? current;
  const hidden = hiddenIndexOf(controller, method, original);
  const where = `${controller.name}.${method}()`;
  const bound: Handler = function (this: unknown, ...args: unknown[]) {
    const call = args[hidden];
    if (!(call instanceof RouteCall)) {
      if (call !== undefined) {
        throw new Error(
          `${where}: the session's route argument was replaced (by a global pipe?); ` +
            `nothing can be committed`,
        );
      }
      return original.apply(this, args);
    }
    args.length = hidden;
    return call.run(() => original.apply(this, args));
  };
  Object.defineProperty(bound, 'name', { value: original.name });
  for (const key of Reflect.getMetadataKeys(current) as unknown[]) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, current), bound);
  }
  originals.set(bound, original);
  setRouteBinding(bound, binding);
  (controller.prototype as Record<string, unknown>)[method] = bound;
  return bound;
}

/**
 * Where the hidden parameter goes: after every parameter the method declares or has metadata
 * for. An earlier application's hidden parameter is taken out first, so it lands where it was.
 */
function hiddenIndexOf(controller: Type, method: string, original: Handler): number {
  const args = {
    ...((Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) as RouteArgs | undefined) ??
      {}),
  };
  for (const key of Object.keys(args)) {
    if (args[key].factory === routeCallFactory) delete args[key];
  }
  const last = Math.max(-1, ...Object.values(args).map((arg) => arg.index));
  const hidden = Math.max(last + 1, original.length);
  Reflect.defineMetadata(ROUTE_ARGS_METADATA, args, controller, method);
  RouteCallParam()(controller.prototype as object, method, hidden);
  return hidden;
}
