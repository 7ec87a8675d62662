import type { ExecutionContext } from '@nestjs/common';
import { finished } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { SessionLockTimeoutError } from '../errors/session-errors.js';
import { requestBehind, unpreparedHint } from '../session/context-transports.js';
import {
  expectCommit,
  findRequestSession,
  requestSessionFor,
  type RequestSession,
} from '../session/request-registry.js';
import type { SessionState } from '../session/session-state.js';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import { routeBindingOf, type RouteBinding } from './route-binding.js';

/**
 * The request's session on a route that uses it, with its preparation started. Returns the
 * session and the promise of its preparation, or `null` when it was all done at once (a request
 * without a session cookie, namespaces built synchronously).
 */
export function startRouteSession(
  binding: RouteBinding,
  request: PlatformRequest,
  response: PlatformResponse,
): { session: RequestSession; ready: Promise<void> | null } {
  const session = requestSessionFor(binding.services, request, response);
  const { state } = session;
  // Started by whichever of the route's parameters Nest extracts first and awaited by all of
  // them: Nest settles every parameter before it calls the handler.
  let ready = state.preparing;
  if (ready === undefined) {
    state.commits = true;
    const { plan } = binding;
    // Only a route that does not commit names itself in an error, so the plan's name will do.
    state.route ||= plan.name;
    if (plan.readonly) state.readonly = true;
    ready = prepare(binding, state);
    state.preparing = ready;
  }
  return { session, ready };
}

/**
 * Lock (when asked), load the session and every namespace the route's parameters want; `null`
 * when that took no waiting. Not an `async` function: on the common path it is one promise, the
 * store's read.
 */
function prepare(binding: RouteBinding, state: SessionState): Promise<void> | null {
  if (binding.plan.lock && !state.readonly) {
    return acquireLock(binding, state).then(() => loadFor(binding, state) ?? undefined);
  }
  return loadFor(binding, state);
}

function loadFor({ plan, services }: RouteBinding, state: SessionState): Promise<void> | null {
  const { loader } = services;
  const materializeAll = (): Promise<void> | null => {
    let pending: Promise<unknown> | null = null;
    for (const schema of plan.schemas) {
      if (!pending && loader.materializeKnown(state, schema)) continue;
      const next = () => loader.materialize(state, schema);
      pending = pending ? pending.then(next) : next();
    }
    return pending as Promise<void> | null;
  };
  const reading = loader.ready(state);
  if (state.loaded) return materializeAll();
  return reading.then(() => materializeAll() ?? undefined);
}

async function acquireLock({ plan, services }: RouteBinding, state: SessionState): Promise<void> {
  const lock = plan.lock!;
  const id = services.loader.cookieId(state);
  if (!id) return; // a brand-new session: no other request can hold it
  const token = await services.committer.acquireLock(state, id, lock);
  if (token === null) throw new SessionLockTimeoutError(lock.waitMs);
  state.lock = { id, token };
  // Normally released after the commit; this covers a request that never reaches the handler
  // (a pipe of another parameter rejected it), so the lock does not wait for its TTL.
  const raw = rawResponseOf(state.response);
  if (raw) finished(raw, () => releaseRouteLock(services, state));
}

export function releaseRouteLock(services: RouteBinding['services'], state: SessionState): void {
  const lock = state.lock;
  if (!lock) return;
  state.lock = null;
  services.committer.releaseLock(lock.id, lock.token);
}

/**
 * `everyRoute` on a route that does not use the session: the request still counts as activity,
 * and a provider may reach the session during the handler (`SessionService.get(request)`).
 */
export function startActivity(
  { services }: RouteBinding,
  request: PlatformRequest,
  response: PlatformResponse,
): void {
  const existing = findRequestSession(request, response);
  if (existing) existing.state.commits = true;
  else {
    expectCommit(request);
    services.committer.touchFromCookie(request, response);
  }
}

function rawResponseOf(response: PlatformResponse | undefined): ServerResponse | undefined {
  if (!response) return undefined;
  const raw = (response as { raw?: ServerResponse }).raw ?? (response as ServerResponse);
  return typeof raw.on === 'function' ? raw : undefined;
}

/**
 * What a parameter decorator of this library injects: `pick` of the request's session, once it is
 * ready. On a bound route the first such parameter starts the preparation (Nest extracts every
 * parameter before it awaits any); elsewhere (a context prepared by other means) the session must
 * be loaded already.
 */
export function injectFromSession(
  context: ExecutionContext,
  decorator: string,
  pick: (session: RequestSession) => unknown,
): unknown {
  const binding = routeBindingOf(context.getHandler());
  if (binding?.plan.usesSession) {
    // [request, response, next]: read directly, as `switchToHttp()` allocates three closures.
    const { session, ready } = startRouteSession(
      binding,
      context.getArgByIndex<PlatformRequest>(0),
      context.getArgByIndex<PlatformResponse>(1),
    );
    return ready ? ready.then(() => pick(session)) : pick(session);
  }
  // Elsewhere (a GraphQL resolver) the request is found through the context's transport.
  const request = requestBehind(context);
  const session = request && findRequestSession(request);
  if (!session?.state.loaded) {
    const where = `${context.getClass().name}.${context.getHandler().name}()`;
    throw new Error(
      `${decorator} in ${where}: no session was prepared for this request; ` +
        `import SessionModule.forRoot() in the application${unpreparedHint(context)}`,
    );
  }
  return pick(session);
}
