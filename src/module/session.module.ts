import {
  Inject,
  Module,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryModule, ModuleRef } from '@nestjs/core';
import { findEventEmitter } from '../events/find-event-emitter.js';
import { SessionEventHub } from '../events/session-event-hub.js';
import { SessionEvents } from '../events/session-events.js';
import { GraphqlResolverBinder } from '../graphql/graphql-resolver-binder.js';
import { GraphqlSessionInterceptor } from '../graphql/graphql-session.interceptor.js';
import { RoutePlans } from '../http/route-plan.js';
import { SessionRouteBinder } from '../http/session-route-binder.js';
import { SessionService } from '../http/session.service.js';
import { UserSessions } from '../users/user-sessions.js';
import { SessionCookies } from '../cookie/session-cookies.js';
import { SchemaCodec } from '../schema/schema-codec.js';
import { SessionCommitter } from '../session/session-committer.js';
import { SessionLoader } from '../session/session-loader.js';
import { StoreExpiryBridge } from '../session/store-expiry-bridge.js';
import { StoreFaults } from '../session/store-faults.js';
import { SessionStore } from '../store/session-store.js';
import { MemorySessionStore } from '../stores/memory/memory-session-store.js';
import { keyedSessionStoreProvider } from '../store-keys/keyed-store.provider.js';
import { resolveSessionOptions } from '../options/resolve-session-options.js';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import { ConfigurableSessionModule, SESSION_MODULE_OPTIONS } from './session.module-definition.js';
import type { ResolvedSessionOptions, SessionModuleOptions } from '../options/session-options.js';

/**
 * Server-side sessions: `SessionModule.forRoot({ secret })` or `forRootAsync({ useFactory,
 * inject })`. Registers the store under the `SessionStore` token (swap it with
 * `overrideProvider(SessionStore)`) and `SessionService`, and binds the commit to the routes that
 * use the session. Global unless `isGlobal: false`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_SESSION_OPTIONS,
      inject: [SESSION_MODULE_OPTIONS],
      // Bad options fail the boot here, with a message that names the option.
      useFactory: (options: SessionModuleOptions) => resolveSessionOptions(options),
    },
    {
      provide: SessionStore,
      inject: [RESOLVED_SESSION_OPTIONS],
      useFactory: (options: ResolvedSessionOptions) =>
        options.store ?? new MemorySessionStore({ now: options.clock }),
    },
    keyedSessionStoreProvider,
    SessionCookies,
    SchemaCodec,
    StoreFaults,
    SessionLoader,
    SessionCommitter,
    SessionService,
    UserSessions,
    RoutePlans,
    SessionRouteBinder,
    GraphqlSessionInterceptor,
    GraphqlResolverBinder,
    SessionEventHub,
    SessionEvents,
    StoreExpiryBridge,
  ],
  exports: [SessionService, SessionStore, SessionEvents],
})
export class SessionModule
  extends ConfigurableSessionModule
  implements NestModule, OnApplicationBootstrap, OnApplicationShutdown
{
  constructor(
    @Inject(SessionStore) private readonly store: SessionStore,
    private readonly binder: SessionRouteBinder,
    private readonly resolverBinder: GraphqlResolverBinder,
    private readonly events: SessionEventHub,
    private readonly moduleRef: ModuleRef,
  ) {
    super();
  }

  /**
   * Nest calls this while it sets up middleware, the step right before it builds the routes:
   * the last moment to bind the session to them, and before GraphQL explores its resolvers
   * (in `onModuleInit`). No middleware is applied.
   */
  configure(_consumer: MiddlewareConsumer): void {
    this.binder.bindRoutes();
    this.resolverBinder.bindResolvers();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.binder.assertNoNestSessionParams();
    this.binder.assertGatewaysBound();
    const emitter = await findEventEmitter(this.moduleRef);
    if (emitter) this.events.forwardTo(emitter);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
