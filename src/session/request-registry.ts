import {
  requestKey,
  type PlatformRequest,
  type PlatformResponse,
} from '../platform/http-platform.js';
import type { SessionCommitter } from './session-committer.js';
import type { SessionLoader } from './session-loader.js';
import { SessionState } from './session-state.js';
import { RequestSessionHandle } from './request-session-handle.js';

/** A request's session: its internal state and the facade handed out for it. */
export interface RequestSession {
  readonly state: SessionState;
  readonly handle: RequestSessionHandle;
}

/**
 * The session of each request in flight, kept on `request.raw ?? request` under a symbol no one
 * else holds, so that a guard, a parameter decorator and the route's commit all reach the same
 * one on Express and on Fastify, and it goes with the request. A property, not a WeakMap: a
 * WeakMap entry per request costs about 0.5 µs more (set and get, measured with Node 20), a symbol property 0.02 µs.
 */
const SESSION = Symbol('nestjs-typed-session:request-session');
/** Requests whose route commits the session although none was made yet (`everyRoute`). */
const COMMITTING = Symbol('nestjs-typed-session:commits');

interface Carrier {
  [SESSION]?: RequestSession;
  [COMMITTING]?: true;
}

/** The request's route commits the session, should anything reach it later. */
export function expectCommit(request: object): void {
  (requestKey(request) as Carrier)[COMMITTING] = true;
}

/**
 * The request's session if something made one. A session first reached without the response
 * (`SessionService.get(request)`) is handed `response` here, so its commit can set the cookie.
 */
export function findRequestSession(
  request: object,
  response?: PlatformResponse,
): RequestSession | undefined {
  const session = (requestKey(request) as Carrier)[SESSION];
  if (session && !session.state.response && response) session.state.response = response;
  return session;
}

/** The services a request's session works with. */
export interface SessionServices {
  readonly loader: SessionLoader;
  readonly committer: SessionCommitter;
}

export function requestSessionFor(
  services: SessionServices,
  request: PlatformRequest,
  response: PlatformResponse | undefined,
): RequestSession {
  let session = findRequestSession(request, response);
  if (!session) {
    const state = new SessionState(request, response);
    const carrier = requestKey(request) as Carrier;
    state.commits = carrier[COMMITTING] === true;
    session = {
      state,
      handle: new RequestSessionHandle(state, services.loader, services.committer),
    };
    carrier[SESSION] = session;
  }
  return session;
}
