import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SessionGatewayBinder } from './session-gateway.binder.js';

/**
 * `@Session()` in WebSocket gateways (`@nestjs/websockets`, with socket.io or `ws`). Import it
 * beside `SessionModule.forRoot()`; it binds every gateway handler that has a `@Session()`
 * parameter, whichever module declares the gateway.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [SessionGatewayBinder],
})
export class SessionGatewayModule {}
