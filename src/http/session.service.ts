import { HttpException, Injectable, type ExecutionContext } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { contextTransport, type ContextTransport } from '../session/context-transports.js';
import { requestSessionFor, type SessionServices } from '../session/request-registry.js';
import { SessionCommitter } from '../session/session-committer.js';
import { SessionLoader } from '../session/session-loader.js';
import type { SessionHandle } from '../session/session-handle.js';
import type { SessionState } from '../session/session-state.js';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import { holdResponse, type Replacement } from './response-barrier.js';
import { routeLabel } from './route-label.js';
import { RoutePlans } from './route-plan.js';
import { UserSessions } from '../users/user-sessions.js';
import type {
  DestroyUserSessionsOptions,
  ListForUserOptions,
  UserSession,
} from '../users/user-session.js';

/**
 * The session from anywhere that has the request: a guard, a pipe, a provider. It is the same
 * handle the route's `@Session()` gets, committed by the same function. Pass the
 * `ExecutionContext` where there is one (a guard): then the route is known, and a guard's
 * change survives even when the guard rejects the request with a 4xx.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly loader: SessionLoader,
    private readonly committer: SessionCommitter,
    private readonly plans: RoutePlans,
    private readonly users: UserSessions,
  ) {
    this.services = { loader, committer };
  }

  private readonly services: SessionServices;

  /** The request's session, loaded. */
  async get(contextOrRequest: ExecutionContext | object): Promise<SessionHandle> {
    const session = isExecutionContext(contextOrRequest)
      ? this.fromContext(contextOrRequest)
      : requestSessionFor(this.services, contextOrRequest as PlatformRequest, undefined);
    await this.loader.ready(session.state);
    return session.handle;
  }

  /**
   * The live sessions bound to `userId` (`handle.setUser`), the most recently active first: tag,
   * created, last seen, expiry and the attached info; `current` flags `options.current`'s
   * session. Never an expired one. Needs a store with a user index (memory, Redis, PostgreSQL);
   * else `SessionUserIndexUnsupportedError`.
   */
  listForUser(userId: string, options?: ListForUserOptions): Promise<UserSession[]> {
    return this.users.list(userId, options);
  }

  /**
   * Log the user out everywhere: destroy every session bound to `userId`, or every one but
   * `options.except` (log out other devices). Their next request gets a fresh, empty session.
   * Answers how many were destroyed. The current request's own session, when not spared, ends
   * in the store too; call `session.destroy()` as well to clear its cookie in this response.
   */
  destroyForUser(userId: string, options?: DestroyUserSessionsOptions): Promise<number> {
    return this.users.destroy(userId, options);
  }

  private fromContext(context: ExecutionContext) {
    if (context.getType() === 'ws') {
      // A socket's messages have no request of their own to keep a session on.
      throw new Error(
        'SessionService.get(context) is not available in WebSocket gateways: ' +
          'use a @Session() parameter in the @SubscribeMessage() handler',
      );
    }
    const type = context.getType<string>();
    const transport = type === 'http' ? undefined : contextTransport(type);
    if (transport) return this.fromOtherContext(context, transport);
    const http = context.switchToHttp();
    const request = http.getRequest<PlatformRequest>();
    const response = http.getResponse<PlatformResponse>();
    const session = requestSessionFor(this.services, request, response);
    const { state } = session;
    if (!state.route) {
      const plan = this.plans.get(context.getHandler());
      const name = plan?.name ?? `${context.getClass().name}.${context.getHandler().name}()`;
      state.route = routeLabel(request, name);
      if (plan) {
        state.commits = true;
        // Reached before the handler (in a guard): if the guard rejects, the route's commit
        // never runs, so the response waits at the barrier for the commit instead.
        const raw = (response as { raw?: ServerResponse }).raw ?? (response as ServerResponse);
        if (typeof raw.writeHead === 'function') {
          holdResponse(raw, (status) => this.commitBeforeSend(state, raw, status));
        }
      }
    }
    return session;
  }

  /** A resolver's context (GraphQL): its transport finds the request and holds its commit. */
  private fromOtherContext(context: ExecutionContext, transport: ContextTransport) {
    const found = transport.requestOf(context);
    if (!found) {
      throw new Error(
        `SessionService.get(context): this ${context.getType()} context has no HTTP request`,
      );
    }
    const session = requestSessionFor(this.services, found.request, found.response);
    const { state } = session;
    if (!state.route) {
      const plan = this.plans.get(context.getHandler());
      const name = plan?.name ?? `${context.getClass().name}.${context.getHandler().name}()`;
      state.route = routeLabel(found.request, name);
      if (plan) {
        state.commits = true;
        transport.commitBeforeSend(session, this.services);
      }
    }
    return session;
  }

  /** The barrier's commit: the same commit function; a 5xx response commits nothing. */
  private commitBeforeSend(
    state: SessionState,
    raw: ServerResponse,
    status: number,
  ): Promise<Replacement | undefined> | undefined {
    if (status >= 500) return undefined;
    state.response = raw as unknown as PlatformResponse;
    let writing: Promise<void> | undefined;
    try {
      writing = this.committer.commit(state);
    } catch (error) {
      return Promise.resolve(replacementFor(error));
    }
    return writing?.then(() => undefined, replacementFor);
  }
}

/** The response that replaces a held one whose commit failed (a 503, a validation 500). */
function replacementFor(error: unknown): Replacement {
  const status = error instanceof HttpException ? error.getStatus() : 500;
  const body =
    error instanceof HttpException
      ? error.getResponse()
      : { statusCode: 500, message: 'Internal server error' };
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
  return { status, headers, body: JSON.stringify(body) };
}

function isExecutionContext(value: object): value is ExecutionContext {
  return typeof (value as ExecutionContext).switchToHttp === 'function';
}
