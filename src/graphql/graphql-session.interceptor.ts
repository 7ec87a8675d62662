import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { defer, type Observable } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { routeLabel } from '../http/route-label.js';
import { RoutePlans, type RoutePlan } from '../http/route-plan.js';
import { requestSessionFor, type SessionServices } from '../session/request-registry.js';
import { SessionCommitter } from '../session/session-committer.js';
import { SessionLoader } from '../session/session-loader.js';
import type { SessionState } from '../session/session-state.js';
import { holdGraphqlCommit } from './graphql-request-commit.js';
import { graphqlRequestOf } from './graphql-request.js';

/**
 * Put by `GraphqlResolverBinder` on the resolvers that use the session. Before the resolver it
 * loads the session and the namespaces its parameters want; the commit is the request's, once,
 * before the response is sent (`holdGraphqlCommit`), not this resolver's.
 */
@Injectable()
export class GraphqlSessionInterceptor implements NestInterceptor {
  private readonly services: SessionServices;

  constructor(
    protected readonly loader: SessionLoader,
    committer: SessionCommitter,
    protected readonly plans: RoutePlans,
  ) {
    this.services = { loader, committer };
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const plan = this.plans.get(context.getHandler());
    if (!plan || context.getType<string>() !== 'graphql') return next.handle();
    const found = graphqlRequestOf(context);
    if (!found) {
      throw new Error(
        `@Session() in ${plan.name}: the GraphQL context has no HTTP request ` +
          `(keep the req that @nestjs/graphql puts in the context)`,
      );
    }
    const session = requestSessionFor(this.services, found.request, found.response);
    const { state } = session;
    state.commits = true;
    state.route ||= routeLabel(found.request, plan.name);
    const commit = holdGraphqlCommit(session, this.services);
    if (!plan.readonly) commit.writer = true;
    // Read-only while every resolver of the request that reached the session is a reader.
    state.readonly = !commit.writer;
    // One after the other: two fields asking for the same namespace get the same instance.
    const prepared = commit.preparing.then(() => this.prepare(state, plan));
    commit.preparing = prepared.catch(() => undefined);
    return defer(() => prepared).pipe(
      mergeMap(() => next.handle()),
      catchError((error: unknown) => {
        commit.noteError(error);
        throw error;
      }),
    );
  }

  /** Load the session and every namespace the resolver's parameters want. */
  protected async prepare(state: SessionState, plan: RoutePlan): Promise<void> {
    await this.loader.ready(state);
    for (const schema of plan.schemas) {
      if (!this.loader.materializeKnown(state, schema)) {
        await this.loader.materialize(state, schema);
      }
    }
  }
}
