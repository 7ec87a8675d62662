import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, HttpCode, Injectable, Logger, Post, Req, Res } from '@nestjs/common';
import { IsInt, IsString } from 'class-validator';
import {
  MemorySessionStore,
  Session,
  SessionHandle,
  SessionModule,
  SessionSchema,
  SessionService,
  UsesSession,
  type SessionModuleOptions,
} from '../../src/index.js';
import { Browser, sessionCookieLine } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { TestClock } from '../../src/testing/test-clock.js';
import { storeKeyOf } from '../support/store-keys.js';

const SECRET = 'features-secret-features-secret-0000';

/** Version 2 of a profile: version 1 stored a single `name`. */
@SessionSchema({
  key: 'profile',
  version: 2,
  migrate: (stored, from) => {
    const old = stored as { name?: string };
    if (from === 1) {
      const [first = '', last = ''] = (old.name ?? '').split(' ');
      return { first, last };
    }
    return stored;
  },
})
class ProfileSession {
  @IsString() first = '';
  @IsString() last = '';
}

@SessionSchema('score')
class ScoreSession {
  @IsInt() points = 0;
}

/** A provider that reaches the session during the handler, not through a parameter. */
@Injectable()
class Visits {
  constructor(private readonly sessions: SessionService) {}
  async count(request: object): Promise<number> {
    const session = await this.sessions.get(request);
    const visits = (session.get<number>('visits') ?? 0) + 1;
    session.set('visits', visits);
    return visits;
  }
}

@Controller()
class FeaturesController {
  constructor(private readonly visits: Visits) {}

  @Get('profile')
  profile(@Session() profile: ProfileSession) {
    return { first: profile.first, last: profile.last };
  }

  @Get('score')
  score(@Session() score: ScoreSession) {
    return { points: score.points };
  }

  @Post('score')
  @HttpCode(200)
  bump(@Session() score: ScoreSession) {
    score.points += 1;
    return { points: score.points };
  }

  @Get('visit')
  @UsesSession()
  async visit(@Req() request: object) {
    return { visits: await this.visits.count(request) };
  }

  @Post('manual')
  async manual(@Session() session: SessionHandle, @Res() response: any) {
    session.set('manual', true);
    await session.commit();
    if (typeof response.code === 'function') response.code(200).send({ ok: true });
    else response.status(200).json({ ok: true });
  }

  @Get('has-manual')
  hasManual(@Session() session: SessionHandle) {
    return { manual: session.get('manual') ?? false };
  }
}

async function start(platform: Platform, options: Partial<SessionModuleOptions> = {}) {
  const store = new MemorySessionStore({ now: options.clock });
  const app = await startApp(platform, {
    imports: [SessionModule.forRoot({ secret: SECRET, store, ...options })],
    controllers: [FeaturesController],
    providers: [Visits],
  });
  return { app, store };
}

async function seed(
  running: RunningApp,
  store: MemorySessionStore,
  browser: Browser,
  data: Record<string, string>,
) {
  const id = storeKeyOf(running, browser.cookie);
  const { metadata } = (await store.get(id))!;
  await store.set(id, { mode: 'update', metadata, set: data, remove: [] });
  return id;
}

describe.each(PLATFORMS)('session features on %s', (platform) => {
  let running: RunningApp;
  let store: MemorySessionStore;
  beforeAll(async () => {
    ({ app: running, store } = await start(platform));
  });
  afterAll(() => running.close());

  it('data stored by an older schema version is migrated, validated and written back', async () => {
    const browser = new Browser(running.url);
    await browser.post('/score');
    const id = await seed(running, store, browser, { profile: '{"name":"Ada Lovelace"}' });
    expect((await browser.get('/profile')).body).toEqual({ first: 'Ada', last: 'Lovelace' });
    const record = (await store.get(id))!;
    expect(JSON.parse(record.data.profile)).toEqual({ first: 'Ada', last: 'Lovelace' });
    expect(record.data['$v:profile']).toBe('2');
  });

  it('a provider that reads the session through SessionService during the handler is committed', async () => {
    const browser = new Browser(running.url);
    expect((await browser.get('/visit')).body).toEqual({ visits: 1 });
    expect(browser.cookie).toBeDefined();
    expect((await browser.get('/visit')).body).toEqual({ visits: 2 });
  });

  it('a handler that writes the response itself commits first with session.commit()', async () => {
    const browser = new Browser(running.url);
    const reply = await browser.post('/manual');
    expect(reply.status).toBe(200);
    expect(sessionCookieLine(reply)).toBeDefined();
    expect((await browser.get('/has-manual')).body).toEqual({ manual: true });
  });
});

describe.each(PLATFORMS)(
  'stored data that fails its schema with onInvalidStoredData: reject, on %s',
  (platform) => {
    it('answers 500 and leaves the data as it was', async () => {
      const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const { app, store } = await start(platform, { onInvalidStoredData: 'reject' });
      try {
        const browser = new Browser(app.url);
        await browser.post('/score');
        const id = await seed(app, store, browser, { score: '{"points":"many"}' });
        const reply = await browser.get('/score');
        expect(reply.status).toBe(500);
        expect(reply.body.message).toContain('score.points');
        expect((await store.get(id))!.data.score).toBe('{"points":"many"}');
      } finally {
        errors.mockRestore();
        await app.close();
      }
    });
  },
);

describe.each(PLATFORMS)('a cookie with maxAge on %s', (platform) => {
  it('slides: the cookie is re-sent with the expiry refresh, and only then', async () => {
    const clock = new TestClock();
    const { app } = await start(platform, {
      clock: clock.now,
      cookie: { maxAge: 3_600_000 },
      idleTimeout: 600_000,
      touchAfter: 60_000,
    });
    try {
      const browser = new Browser(app.url);
      const first = await browser.post('/score');
      expect(sessionCookieLine(first)).toContain('Max-Age=3600');
      expect(sessionCookieLine(await browser.get('/score'))).toBeUndefined();
      clock.advance(61_000);
      expect(sessionCookieLine(await browser.get('/score'))).toContain('Max-Age=3600');
    } finally {
      await app.close();
    }
  });
});
