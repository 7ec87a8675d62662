import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { SessionStoreHealthIndicator } from 'nestjs-typed-session/health';

/** `GET /health`: 200 while the session store answers, 503 with the reason when it does not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sessions: SessionStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sessions.isHealthy('sessions', { timeoutMs: 1_500 })]);
  }
}
