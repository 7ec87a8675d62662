import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { SessionStoreHealthIndicator } from '../../src/health/index.js';
import { SessionModule } from '../../src/index.js';
import { RedisSessionStore } from '../../src/stores/redis/redis-session-store.js';
import { PLATFORMS, startApp, type RunningApp } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';
import {
  describeWithRedisBinaries,
  makeTempDir,
  redisCli,
  removeDir,
  sparePort,
  startRedisServer,
  waitFor,
  type RedisProcess,
} from '../redis/support/redis-processes.js';

/**
 * Above the Redis store's own 1 s wait for a connection, so a stopped server reports the store's
 * reason; below its 1.5 s command timeout, so a hung server shows the probe's own timeout.
 */
const PROBE_TIMEOUT_MS = 1_200;

/** The smallest health route an app writes (the README's example). */
@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(SessionStoreHealthIndicator) private readonly sessions: SessionStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.sessions.isHealthy('sessions', { timeoutMs: PROBE_TIMEOUT_MS }),
    ]);
  }
}

function healthModule(redisPort: number) {
  @Module({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      SessionModule.forRoot({
        secret: SECRET,
        store: new RedisSessionStore({ url: `redis://127.0.0.1:${redisPort}` }),
      }),
    ],
    controllers: [HealthController],
    providers: [SessionStoreHealthIndicator],
  })
  class HealthAppModule {}
  return HealthAppModule;
}

async function getHealth(app: RunningApp): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${app.url}/health`);
  return { status: response.status, body: await response.json(), ms: Date.now() - started };
}

const describeRedis = describeWithRedisBinaries('session store health');

describeRedis.each(PLATFORMS)('SessionStoreHealthIndicator on a /health route (%s)', (platform) => {
  let dir: string;
  let port: number;
  let redis: RedisProcess;
  let app: RunningApp;

  beforeEach(async () => {
    dir = makeTempDir('health');
    port = await sparePort();
    redis = await startRedisServer(port, dir);
    app = await startApp(platform, { imports: [healthModule(port)] });
  });
  afterEach(async () => {
    await redis?.stop();
    await app?.close();
    if (dir) removeDir(dir);
  });

  it('answers 200 with the store up, its name and the probe time, while Redis runs', async () => {
    const { status, body } = await getHealth(app);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info.sessions).toEqual({
      status: 'up',
      store: 'RedisSessionStore',
      responseTimeMs: expect.any(Number),
    });
  });

  it('leaves nothing behind in the store (the probe only reads)', async () => {
    await getHealth(app);
    await getHealth(app);
    const keys = await redisCli(port, 'DBSIZE');
    expect(keys).toBe('0');
  });

  it('answers 503 with the store down and why, once Redis is stopped', async () => {
    await redis.stop();
    const { status, body } = await getHealth(app);
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error.sessions).toEqual({
      status: 'down',
      store: 'RedisSessionStore',
      responseTimeMs: expect.any(Number),
      message: expect.stringMatching(/not connected/),
    });
  });

  it('answers 503 within its timeout while Redis hangs, and up again once it answers', async () => {
    expect((await getHealth(app)).status).toBe(200); // connected before it hangs
    process.kill(redis.pid, 'SIGSTOP');
    let hung: Awaited<ReturnType<typeof getHealth>>;
    try {
      hung = await getHealth(app);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    expect(hung.status).toBe(503);
    expect(hung.body.error.sessions).toMatchObject({
      status: 'down',
      store: 'RedisSessionStore',
      message: `the session store did not answer within ${PROBE_TIMEOUT_MS} ms`,
    });
    // The route waited for the probe's timeout, not for the store's command timeout (1.5 s).
    expect(hung.ms).toBeLessThan(1_500);
    await waitFor(async () => (await getHealth(app)).status === 200, 10_000, 'health to be up');
  }, 20_000);

  it('comes back up when a stopped Redis is started again', async () => {
    await redis.stop();
    expect((await getHealth(app)).status).toBe(503);
    redis = await startRedisServer(port, dir);
    await waitFor(async () => (await getHealth(app)).status === 200, 10_000, 'health to be up');
    expect((await getHealth(app)).body.info.sessions.status).toBe('up');
  }, 20_000);
});

describe('SessionStoreHealthIndicator options', () => {
  it('refuses a timeout that is not a positive number, naming the option', async () => {
    const { HealthIndicatorService } = await import('@nestjs/terminus');
    const { MemorySessionStore } = await import('../../src/index.js');
    const store = new MemorySessionStore();
    const indicator = new SessionStoreHealthIndicator(store, new HealthIndicatorService());
    await expect(indicator.isHealthy('sessions', { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(indicator.isHealthy()).resolves.toEqual({
      session_store: {
        status: 'up',
        store: 'MemorySessionStore',
        responseTimeMs: expect.any(Number),
      },
    });
    await store.close();
  });
});
