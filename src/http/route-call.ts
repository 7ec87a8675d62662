import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { isObservable } from 'rxjs';
import { findRequestSession, type RequestSession } from '../session/request-registry.js';
import type { SessionState } from '../session/session-state.js';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import { commitAround, statusOf } from './commit-around.js';
import { routeBindingOf, type RouteBinding } from './route-binding.js';
import { releaseRouteLock, startActivity, startRouteSession } from './route-session.js';

/**
 * One request on a route the library is bound to. Nest hands it to the bound handler as a hidden
 * last argument (see `SessionRouteBinder`); the handler runs the route's own method through
 * `run()`, which commits what changed after the method and before Nest sends the response. No
 * interceptor, no Observable unless the method returns one.
 */
export class RouteCall {
  constructor(
    private readonly binding: RouteBinding,
    private readonly request: PlatformRequest,
    private readonly response: PlatformResponse,
    /** The request's session when the route prepared it: no lookup on the request after. */
    private session?: RequestSession,
  ) {}

  run(method: () => unknown): unknown {
    let result: unknown;
    try {
      result = method();
    } catch (error) {
      return this.failed(error);
    }
    if (isObservable(result)) {
      return commitAround(
        this.binding.services.committer,
        () => result,
        null,
        () => this.state(),
        () => this.release(),
      );
    }
    if (isThenable(result)) {
      return result.then(
        (value) => this.succeeded(value),
        (error: unknown) => this.failed(error),
      );
    }
    return this.succeeded(result);
  }

  /** Commit, then hand the value on; synchronously when there is nothing to write. */
  private succeeded(value: unknown): unknown {
    const state = this.state();
    let writing: Promise<void> | undefined;
    try {
      writing = state && this.binding.services.committer.commit(state);
    } catch (error) {
      this.release();
      throw error;
    }
    if (!writing) {
      this.release();
      return value;
    }
    return writing.then(
      () => {
        this.release();
        return value;
      },
      (error: unknown) => {
        this.release();
        throw error;
      },
    );
  }

  /** A handler error below 500 still commits (a refused login counts attempts); a 5xx does not. */
  private failed(error: unknown): unknown {
    const state = this.state();
    if (!state || statusOf(error) >= 500) {
      this.release();
      throw error;
    }
    const writing = this.succeeded(undefined);
    if (!isThenable(writing)) throw error;
    return writing.then(() => {
      throw error;
    });
  }

  private state(): SessionState | undefined {
    // A route that does not use the session may still get one during the handler (`everyRoute`
    // and `SessionService.get`): looked up then, and kept.
    this.session ??= findRequestSession(this.request, this.response);
    return this.session?.state;
  }

  private release(): void {
    const state = this.state();
    if (state?.lock) releaseRouteLock(this.binding.services, state);
  }
}

/**
 * The hidden parameter the binder adds to every bound route. Its value is the request's
 * `RouteCall`, once the session (and what the route's parameters want of it) is ready; `undefined`
 * when the handler was not bound by this library.
 */
export function routeCallFactory(
  _data: unknown,
  context: ExecutionContext,
): RouteCall | Promise<RouteCall> | undefined {
  const binding = routeBindingOf(context.getHandler());
  if (!binding) return undefined;
  // The arguments of an HTTP context are [request, response, next]; `switchToHttp()` would
  // allocate three closures per call to hand them out.
  const request = context.getArgByIndex<PlatformRequest>(0);
  const response = context.getArgByIndex<PlatformResponse>(1);
  if (!binding.plan.usesSession) {
    startActivity(binding, request, response);
    return new RouteCall(binding, request, response);
  }
  const { session, ready } = startRouteSession(binding, request, response);
  const call = new RouteCall(binding, request, response, session);
  // The route's session parameters wait for the preparation already; Nest settles them all
  // before the handler. Only a route without one (`@SessionLock()`, `@UsesSession()`) waits here.
  return ready && !binding.plan.hasParams ? ready.then(() => call) : call;
}

export const RouteCallParam = createParamDecorator(routeCallFactory);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
