import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable, type Subscription } from 'rxjs';
import { SessionLockTimeoutError } from '../errors/session-errors.js';
import {
  expectCommit,
  findRequestSession,
  requestSessionFor,
  type SessionServices,
} from '../session/request-registry.js';
import { SessionCommitter } from '../session/session-committer.js';
import { SessionLoader } from '../session/session-loader.js';
import type { SessionState } from '../session/session-state.js';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import { RoutePlans, type RoutePlan } from './route-plan.js';
import { routeLabel } from './route-label.js';

/**
 * Put by `SessionRouteBinder` on the routes that use the session (every route with
 * `everyRoute`). Before the handler it loads the session and the namespaces the handler's
 * parameters want (taking the lock of `@SessionLock()`); after the handler, and before the
 * response is sent, it commits what changed.
 */
@Injectable()
export class SessionInterceptor implements NestInterceptor {
  constructor(
    protected readonly loader: SessionLoader,
    protected readonly committer: SessionCommitter,
    protected readonly plans: RoutePlans,
  ) {
    this.services = { loader, committer };
  }

  private readonly services: SessionServices;

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const plan = this.plans.get(context.getHandler());
    if (!plan || context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<PlatformRequest>();
    const response = http.getResponse<PlatformResponse>();
    if (!plan.usesSession) {
      // `everyRoute`: a route that does not use the session still counts as activity, and a
      // provider may reach the session during the handler (SessionService.get(request)).
      const existing = findRequestSession(request, response);
      if (existing) existing.state.commits = true;
      else {
        expectCommit(request);
        this.committer.touchFromCookie(request, response);
      }
      return this.around(next, null, () => findRequestSession(request, response)?.state, null);
    }
    const { state } = requestSessionFor(this.services, request, response);
    state.commits = true;
    state.route ||= routeLabel(request, plan.name);
    if (plan.readonly) state.readonly = true;
    return this.around(
      next,
      () => this.prepare(state, plan),
      () => state,
      state,
    );
  }

  /** Lock (when asked), load the session and every namespace the handler's parameters want. */
  protected async prepare(state: SessionState, plan: RoutePlan): Promise<void> {
    if (plan.lock && !state.readonly) await this.acquireLock(state, plan.lock);
    await this.loader.ready(state);
    for (const schema of plan.schemas) {
      if (!this.loader.materializeKnown(state, schema)) {
        await this.loader.materialize(state, schema);
      }
    }
  }

  /**
   * Runs `prepare`, then the handler, and commits after each value the handler produces and
   * before that value is passed on to be sent. A handler error below 500 (a refused login that
   * counts attempts) still commits; a 5xx commits nothing. The lock is released when the
   * request's stream ends, whichever way. One small Observable instead of an operator chain.
   */
  protected around(
    next: CallHandler,
    prepare: (() => Promise<void>) | null,
    stateOf: () => SessionState | undefined,
    locked: SessionState | null,
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
            const state = stateOf();
            if (!queue) {
              // The common case: nothing to write, so the value goes on without a promise.
              let writing: Promise<void> | undefined;
              try {
                writing = state && this.committer.commit(state);
              } catch (error) {
                return fail(error);
              }
              if (!writing) return subscriber.next(value);
              queue = writing.then(() => subscriber.next(value));
              queue.catch(fail);
              return;
            }
            after(async () => {
              if (state) await this.committer.commit(state);
              subscriber.next(value);
            });
          },
          error: (error: unknown) => {
            const state = stateOf();
            const commits = state !== undefined && statusOf(error) < 500;
            if (!commits && !queue) return subscriber.error(error);
            after(async () => {
              if (commits) await this.committer.commit(state);
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

  protected async acquireLock(
    state: SessionState,
    lock: NonNullable<RoutePlan['lock']>,
  ): Promise<void> {
    const id = this.loader.cookieId(state);
    if (!id) return; // a brand-new session: no other request can hold it
    const token = await this.committer.acquireLock(state, id, lock);
    if (token === null) throw new SessionLockTimeoutError(lock.waitMs);
    state.lock = { id, token };
  }

  protected releaseLock(state: SessionState): void {
    const lock = state.lock;
    if (!lock) return;
    state.lock = null;
    this.committer.releaseLock(lock.id, lock.token);
  }
}

function statusOf(error: unknown): number {
  return error instanceof HttpException ? error.getStatus() : 500;
}
