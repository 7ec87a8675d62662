import { registerContextTransport } from '../session/context-transports.js';
import { holdGraphqlCommit } from './graphql-request-commit.js';
import { graphqlRequestOf } from './graphql-request.js';

/**
 * Resolvers' contexts (`'graphql'`): `@Session()` and `SessionService.get(context)` find the
 * request in the GraphQL context, and a guard's session is committed with the request's.
 */
export function registerGraphqlTransport(): void {
  registerContextTransport('graphql', {
    requestOf: graphqlRequestOf,
    commitBeforeSend: (session, services) => {
      holdGraphqlCommit(session, services);
    },
    // Nest runs no interceptor on a field resolver unless told to.
    unpreparedHint:
      "on a @ResolveField, also set fieldResolverEnhancers: ['interceptors'] in GraphQLModule",
  });
}
