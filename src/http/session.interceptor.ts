import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, type Subscription } from 'rxjs';
import type { PlatformRequest, PlatformResponse } from './http-platform.js';
import type { RequestSession } from '../session/request-session.js';
import { findRequestSession, requestSessionFor } from '../session/request-sessions.js';
import { SESSION_LOCK, SESSION_PARAMS } from '../module/session.constants.js';
import type { SessionParamSpec } from './session.decorator.js';
import { SessionEngine } from '../session/session-engine.js';
import { SessionLockTimeoutError } from '../errors/session-errors.js';
import type { SessionLockOptions } from './session-lock.decorator.js';
import type { SessionSchemaDefinition } from '../schema/session-schema.decorator.js';

/** What a route needs from the session, worked out once per handler. */
interface RoutePlan {
  usesSession: boolean;
  schemas: SessionSchemaDefinition[];
  readonly: boolean;
  lock: Required<SessionLockOptions> | null;
}

/**
 * Registered globally by `SessionModule`. Before the handler it loads the session if the route
 * declares `@Session()` parameters (or takes `@SessionLock()`); after the handler, and before
 * the response is sent, it commits what changed. A route that never touches the session only
 * has its cookie's expiry refreshed (when due), without a store read.
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  protected readonly plans = new WeakMap<object, RoutePlan>();

  constructor(
    protected readonly engine: SessionEngine,
    protected readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PlatformRequest>();
    const response = http.getResponse<PlatformResponse>();
    const plan = this.planFor(context);
    const existing = findRequestSession(request);
    if (!plan.usesSession && !existing) {
      this.engine.touchFromCookie(request, response);
      // A provider may still reach the session during the handler (SessionService.get(request)).
      return this.around(next, null, () => findRequestSession(request, response));
    }
    const session = requestSessionFor(this.engine, request, response);
    if (plan.readonly) session.readonly = true;
    return this.around(
      next,
      () => this.prepare(session, plan),
      () => session,
      session,
    );
  }

  /** Lock (when asked), load the session and every namespace the handler's parameters want. */
  protected async prepare(session: RequestSession, plan: RoutePlan): Promise<void> {
    if (plan.lock && !session.readonly) await this.acquireLock(session, plan.lock);
    await session.loadOnce();
    for (const schema of plan.schemas) {
      if (!session.loadKnown(schema)) await session.load(schema.type);
    }
  }

  /**
   * Runs `prepare`, then the handler, and commits after each value the handler produces and
   * before that value is passed on to be sent. A handler error below 500 (a refused login that
   * counts attempts) still commits; a 5xx commits nothing. The lock is released when the
   * request's stream ends, whichever way. One small Observable instead of an operator chain,
   * because it runs on every request of the application.
   */
  protected around(
    next: CallHandler,
    prepare: (() => Promise<void>) | null,
    sessionOf: () => RequestSession | undefined,
    locked: RequestSession | null = null,
  ): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      let inner: Subscription | undefined;
      // Commits (and what waits for them) run in order; null until the first one.
      let queue: Promise<void> | null = null;
      const fail = (error: unknown) => subscriber.error(error);
      const after = (step: () => void | Promise<void>) => {
        queue = (queue ?? Promise.resolve()).then(step);
        queue.catch(fail);
      };
      const run = () => {
        inner = next.handle().subscribe({
          next: (value) => {
            const session = sessionOf();
            if (!queue) {
              // The common case: nothing to write, so the value goes on without a promise.
              let writing: Promise<void> | undefined;
              try {
                writing = session && this.finish(session);
              } catch (error) {
                return fail(error);
              }
              if (!writing) return subscriber.next(value);
              queue = writing.then(() => subscriber.next(value));
              queue.catch(fail);
              return;
            }
            after(async () => {
              if (session) await this.finish(session);
              subscriber.next(value);
            });
          },
          error: (error: unknown) => {
            const session = sessionOf();
            const commits = session !== undefined && statusOf(error) < 500;
            if (!commits && !queue) return subscriber.error(error);
            after(async () => {
              if (commits) await this.finish(session);
              subscriber.error(error);
            });
          },
          complete: () => {
            if (!queue) return subscriber.complete();
            after(() => subscriber.complete());
          },
        });
      };
      if (prepare) {
        prepare().then(() => {
          if (!subscriber.closed) run();
        }, fail);
      } else {
        run();
      }
      return () => {
        inner?.unsubscribe();
        if (locked) this.releaseLock(locked);
      };
    });
  }

  /** Commit (a promise when something is written), or count the request as activity. */
  protected finish(session: RequestSession): Promise<void> | undefined {
    if (session.isLoaded) return this.engine.commit(session);
    this.engine.touchFromCookie(session.request, session.response);
    return undefined;
  }

  protected async acquireLock(
    session: RequestSession,
    lock: Required<SessionLockOptions>,
  ): Promise<void> {
    const id = session.cookieId;
    if (!id) return; // a brand-new session: no other request can hold it
    let token: string | null;
    try {
      token = await this.engine.store.acquireLock(id, lock);
    } catch (error) {
      throw this.engine.unavailable(session, 'lock', error);
    }
    if (token === null) throw new SessionLockTimeoutError(lock.waitMs);
    session.lockToken = token;
    session.lockedId = id;
  }

  protected releaseLock(session: RequestSession): void {
    const { lockToken, lockedId } = session;
    if (!lockToken || !lockedId) return;
    session.lockToken = null;
    this.engine.store.releaseLock(lockedId, lockToken).catch((error: unknown) => {
      this.engine.warn(`session lock release failed (it expires on its own): ${String(error)}`);
    });
  }

  protected planFor(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler();
    let plan = this.plans.get(handler);
    if (plan) return plan;
    const params = (Reflect.getOwnMetadata(SESSION_PARAMS, handler) as SessionParamSpec[]) ?? [];
    const lock = this.reflector.getAllAndOverride<SessionLockOptions | undefined>(SESSION_LOCK, [
      handler,
      context.getClass(),
    ]);
    const defaults = this.engine.options.lock;
    plan = {
      usesSession: params.length > 0 || lock !== undefined,
      schemas: params.flatMap((param) => (param.schema ? [param.schema] : [])),
      readonly: params.some((param) => param.readonly),
      lock: lock
        ? { waitMs: lock.waitMs ?? defaults.waitMs, ttlMs: lock.ttlMs ?? defaults.ttlMs }
        : null,
    };
    this.plans.set(handler, plan);
    return plan;
  }
}

function statusOf(error: unknown): number {
  return error instanceof HttpException ? error.getStatus() : 500;
}
