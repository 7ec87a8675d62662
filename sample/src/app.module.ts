import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SessionModule } from 'nestjs-typed-session';
import { SessionStoreHealthIndicator } from 'nestjs-typed-session/health';
import { AuthController } from './auth.controller.js';
import { CartController } from './cart.controller.js';
import { HealthController } from './health.controller.js';
import { ShopController } from './shop/shop.controller.js';
import { createSessionStore } from './session-store.factory.js';

@Module({
  imports: [
    TerminusModule,
    SessionModule.forRootAsync({
      useFactory: () => ({
        // Never ship a default secret: this one is only for trying the sample locally.
        secret: process.env.SESSION_SECRET ?? 'sample-only-secret-change-me-0123456789',
        store: createSessionStore(),
        cookie: { secure: 'auto' },
      }),
    }),
  ],
  controllers: [ShopController, CartController, AuthController, HealthController],
  providers: [SessionStoreHealthIndicator],
})
export class AppModule {}
