// The `nestjs-typed-session/gateway` entry: sessions in WebSocket gateways. The only entry that
// loads `@nestjs/websockets` (an optional peer), so the core boots without it.
export { SessionGatewayModule } from './session-gateway.module.js';
export type { GatewaySessionErrorPayload } from './gateway-session-errors.js';
