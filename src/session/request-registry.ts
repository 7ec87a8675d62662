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
 * The session of each request in flight, keyed by `request.raw ?? request` so that a guard, a
 * parameter decorator and the route's commit all reach the same one on Express and on Fastify.
 * A WeakMap: the entry goes when the request object does.
 */
const sessions = new WeakMap<object, RequestSession>();
/** Requests whose route commits the session although none was made yet (`everyRoute`). */
const committing = new WeakSet<object>();

/** The request's route commits the session, should anything reach it later. */
export function expectCommit(request: object): void {
  committing.add(requestKey(request));
}

/**
 * The request's session if something made one. A session first reached without the response
 * (`SessionService.get(request)`) is handed `response` here, so its commit can set the cookie.
 */
export function findRequestSession(
  request: object,
  response?: PlatformResponse,
): RequestSession | undefined {
  const session = sessions.get(requestKey(request));
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
    state.commits = committing.has(requestKey(request));
    session = {
      state,
      handle: new RequestSessionHandle(state, services.loader, services.committer),
    };
    sessions.set(requestKey(request), session);
  }
  return session;
}
