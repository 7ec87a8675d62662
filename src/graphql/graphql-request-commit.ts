import { HttpException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { holdResponse, type Replacement } from '../http/response-barrier.js';
import { requestKey, type PlatformResponse } from '../platform/http-platform.js';
import type { RequestSession, SessionServices } from '../session/request-registry.js';
import { graphqlReplacement, sessionErrorCode } from './graphql-session-errors.js';

/**
 * One GraphQL HTTP request whose session a resolver (or a guard on one) reached. However many
 * fields of the operation use the session, they share one session state and the request
 * commits once, when its response is about to be sent (see `holdGraphqlCommit`).
 */
export class GraphqlRequestCommit {
  /** A resolver that may write ran: the request is not read-only. */
  writer = false;
  /** An error of the session's table thrown in a resolver (a store read failed): it is sent. */
  fault: unknown = undefined;
  /** A resolver that uses the session threw a 5xx error: nothing is committed (as over HTTP). */
  failed = false;
  /** Resolvers' preparation (load, build the namespaces) one after the other. */
  preparing: Promise<void> = Promise.resolve();

  constructor(
    readonly session: RequestSession,
    private readonly services: SessionServices,
  ) {}

  /** Note what a resolver that uses the session threw. */
  noteError(error: unknown): void {
    if (sessionErrorCode(error) !== undefined) this.fault ??= error;
    else if (statusOf(error) >= 500) this.failed = true;
  }

  /** The barrier's step: commit once, or answer with the error when the session failed. */
  beforeSend(raw: ServerResponse, status: number): Promise<Replacement | undefined> | undefined {
    if (this.fault !== undefined) return Promise.resolve(graphqlReplacement(this.fault));
    if (status >= 500 || this.failed) return undefined;
    const { state } = this.session;
    // The response's own headers object is already built (Fastify): the cookie goes on `raw`.
    state.response = raw as unknown as PlatformResponse;
    let writing: Promise<void> | undefined;
    try {
      writing = this.services.committer.commit(state);
    } catch (error) {
      return Promise.resolve(graphqlReplacement(error));
    }
    return writing?.then(() => undefined, graphqlReplacement);
  }
}

const requests = new WeakMap<object, GraphqlRequestCommit>();

/**
 * The request's commit, made the first time: its response is held back (the same barrier a
 * guard's commit uses over HTTP) until the session is committed. Once per HTTP request, not per
 * field: fields resolve in parallel, and one write of everything they changed cannot leave half
 * of an operation saved and the response saying otherwise.
 */
export function holdGraphqlCommit(
  session: RequestSession,
  services: SessionServices,
): GraphqlRequestCommit {
  const key = requestKey(session.state.request);
  const existing = requests.get(key);
  if (existing) return existing;
  const raw = rawResponse(session.state.response);
  if (!raw) {
    throw new Error(
      'GraphQL: the session needs the HTTP response to set its cookie, and the GraphQL context ' +
        'has none; pass it in GraphQLModule: context: ({ req, res }) => ({ req, res }), or ' +
        '(req, reply) => ({ req, reply }) for Apollo on Fastify',
    );
  }
  const created = new GraphqlRequestCommit(session, services);
  requests.set(key, created);
  holdResponse(raw, (status) => created.beforeSend(raw, status));
  return created;
}

function rawResponse(response: PlatformResponse | undefined): ServerResponse | undefined {
  const raw = (response as { raw?: ServerResponse } | undefined)?.raw ?? response;
  return typeof (raw as ServerResponse | undefined)?.writeHead === 'function'
    ? (raw as ServerResponse)
    : undefined;
}

function statusOf(error: unknown): number {
  return error instanceof HttpException ? error.getStatus() : 500;
}
