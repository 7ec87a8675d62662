import type { ExecutionContext } from '@nestjs/common';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import type { ContextRequest } from '../session/context-transports.js';

/**
 * What a GraphQL context may hold. `@nestjs/graphql` always puts the HTTP request under `req`
 * (Apollo's Express request, or Fastify's request under Mercurius); the response is `res` when
 * the application's `context` passes it, Mercurius adds `reply`, and Express links `req.res`.
 */
interface GraphqlContextValue {
  req?: PlatformRequest & { res?: PlatformResponse };
  request?: PlatformRequest;
  res?: PlatformResponse;
  reply?: PlatformResponse & { request?: PlatformRequest };
}

/**
 * The request and response behind a resolver call: Nest passes a resolver's arguments as
 * `[root, args, context, info]`, so the context is read without `@nestjs/graphql`'s
 * `GqlExecutionContext` (which is the same `getArgByIndex(2)`).
 */
export function graphqlRequestOf(context: ExecutionContext): ContextRequest | undefined {
  const value = context.getArgByIndex<GraphqlContextValue | undefined>(2);
  if (typeof value !== 'object' || value === null) return undefined;
  const request = value.req ?? value.request ?? value.reply?.request;
  if (!request || typeof request !== 'object' || !request.headers) return undefined;
  const response = value.res ?? value.reply ?? value.req?.res;
  return { request, response };
}
