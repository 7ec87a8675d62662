import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MemorySessionStore } from '../stores/memory/memory-session-store.js';
import { resolveSessionOptions } from './resolve-session-options.js';
import { RESOLVED_SESSION_OPTIONS } from './session.constants.js';
import { SessionEngine } from '../session/session-engine.js';
import { SessionInterceptor } from '../http/session.interceptor.js';
import { ConfigurableSessionModule, SESSION_MODULE_OPTIONS } from './session.module-definition.js';
import type { ResolvedSessionOptions, SessionModuleOptions } from './session-options.js';
import { SessionService } from '../http/session.service.js';
import { SessionStore } from '../store/session-store.js';

/**
 * Server-side sessions: `SessionModule.forRoot({ secret })` or `forRootAsync({ useFactory,
 * inject })`. Registers the commit interceptor globally, the store under the `SessionStore`
 * token (swap it with `overrideProvider(SessionStore)`), and `SessionService`. Global unless
 * `isGlobal: false`.
 */
@Module({
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
    SessionEngine,
    SessionService,
    { provide: APP_INTERCEPTOR, useClass: SessionInterceptor },
  ],
  exports: [SessionService, SessionStore],
})
export class SessionModule extends ConfigurableSessionModule implements OnApplicationShutdown {
  constructor(@Inject(SessionStore) private readonly store: SessionStore) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
