import { requestKey, type PlatformRequest, type PlatformResponse } from '../http/http-platform.js';
import { RequestSession } from './request-session.js';
import type { SessionEngine } from './session-engine.js';

/**
 * The session of each request in flight, keyed by `request.raw ?? request` so that a guard, the
 * interceptor and a parameter decorator all reach the same one on Express and on Fastify.
 * A WeakMap: the entry goes when the request object does.
 */
const sessions = new WeakMap<object, RequestSession>();

/**
 * The request's session if something made one. A session first reached without the response
 * (`SessionService.get(request)`) is handed `response` here, so its commit can set the cookie.
 */
export function findRequestSession(
  request: object,
  response?: PlatformResponse,
): RequestSession | undefined {
  const session = sessions.get(requestKey(request));
  if (session && !session.response && response) session.response = response;
  return session;
}

export function requestSessionFor(
  engine: SessionEngine,
  request: PlatformRequest,
  response: PlatformResponse | undefined,
): RequestSession {
  let session = findRequestSession(request, response);
  if (!session) {
    session = new RequestSession(engine, request, response);
    sessions.set(requestKey(request), session);
  }
  return session;
}
