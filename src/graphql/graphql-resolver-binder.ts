import {
  Inject,
  Injectable,
  UseInterceptors,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { planRoute, RoutePlans } from '../http/route-plan.js';
import { GraphqlSessionInterceptor } from './graphql-session.interceptor.js';
import { registerGraphqlTransport } from './graphql-transport.js';

/**
 * `@nestjs/graphql`'s own keys, read here so that the core never imports that package: a
 * query, mutation or subscription method carries its type, a `@ResolveField` its property flag,
 * a federation `@ResolveReference` its own.
 */
const RESOLVER_TYPE_METADATA = 'graphql:resolver_type';
const RESOLVER_PROPERTY_METADATA = 'graphql:resolve_property';
const RESOLVER_REFERENCE_METADATA = 'graphql:resolve_reference';
/** Nest's key for a method's `@UseInterceptors()` list. */
const INTERCEPTORS_METADATA = '__interceptors__';

/**
 * Puts the GraphQL interceptor on the resolver methods that use the session. It runs from
 * `SessionModule.configure()`, like the route binder: before `GraphQLModule` explores the
 * resolvers (in `onModuleInit`) and reads each one's interceptors. An application without
 * GraphQL has no such methods, and nothing here loads a GraphQL package.
 */
@Injectable()
export class GraphqlResolverBinder {
  constructor(
    @Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly plans: RoutePlans,
    private readonly interceptor: GraphqlSessionInterceptor,
  ) {
    registerGraphqlTransport();
  }

  bindResolvers(): void {
    for (const { resolver, method, handler } of this.resolverMethods()) {
      const plan = planRoute(resolver, method, this.options);
      if (!plan.usesSession) continue;
      if (Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) === 'Subscription') {
        throw new Error(
          `${plan.name}: a GraphQL subscription runs over a WebSocket with no HTTP response to ` +
            `commit the session before; read what it needs in the query or mutation that starts it`,
        );
      }
      if (plan.lock) {
        throw new Error(
          `${plan.name}: @SessionLock() is not supported on GraphQL resolvers (fields of one ` +
            `operation share the session and commit together); use it on an HTTP route`,
        );
      }
      this.plans.set(handler, plan);
      attachInterceptor(this.interceptor, resolver, method, handler);
    }
  }

  private *resolverMethods(): Generator<{ resolver: Type; method: string; handler: object }> {
    for (const wrapper of this.discovery.getProviders()) {
      const resolver = wrapper.metatype as Type | null;
      if (typeof resolver !== 'function' || !resolver.prototype) continue;
      const prototype = resolver.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function' || !isResolverMethod(handler)) continue;
        yield { resolver, method, handler };
      }
    }
  }
}

function isResolverMethod(handler: object): boolean {
  return (
    Reflect.getMetadata(RESOLVER_TYPE_METADATA, handler) !== undefined ||
    Reflect.getMetadata(RESOLVER_PROPERTY_METADATA, handler) !== undefined ||
    Reflect.getMetadata(RESOLVER_REFERENCE_METADATA, handler) !== undefined
  );
}

/**
 * Put `interceptor` on one resolver method, in place of an instance of its class that an earlier
 * application put there (GraphQL reads the list once, when it explores the resolvers). Resolvers
 * keep an interceptor, unlike routes: their commit is the request's, and the interceptor is where
 * a resolver's outcome is seen.
 */
function attachInterceptor(
  interceptor: NestInterceptor,
  owner: Type,
  method: string,
  handler: object,
): void {
  const others = (
    (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []
  ).filter((existing) => !(existing instanceof interceptor.constructor));
  Reflect.deleteMetadata(INTERCEPTORS_METADATA, handler);
  if (others.length) Reflect.defineMetadata(INTERCEPTORS_METADATA, others, handler);
  // A method decorator called by hand on the final function (wrappers included).
  UseInterceptors(interceptor)(owner.prototype as object, method, { value: handler });
}
