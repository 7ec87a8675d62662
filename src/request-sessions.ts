import { requestKey, type PlatformRequest, type PlatformResponse } from './http-platform.js';
import { RequestSession } from './request-session.js';
import type { SessionEngine } from './session-engine.js';

/**
 * The session of each request in flight, keyed by `request.raw ?? request` so that a guard, the
 * interceptor and a parameter decorator all reach the same one on Express and on Fastify.
 * A WeakMap: the entry goes when the request object does.
 */
const sessions = new WeakMap<object, RequestSession>();

export function findRequestSession(request: object): RequestSession | undefined {
  return sessions.get(requestKey(request));
}

export function requestSessionFor(
  engine: SessionEngine,
  request: PlatformRequest,
  response: PlatformResponse | undefined,
): RequestSession {
  const key = requestKey(request);
  let session = sessions.get(key);
  if (!session) {
    session = new RequestSession(engine, request, response);
    sessions.set(key, session);
  } else if (!session.response && response) {
    session.response = response;
  }
  return session;
}
