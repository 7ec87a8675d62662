import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  InternalServerErrorException,
  Post,
  Req,
  Session as NestSession,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { IsInt } from 'class-validator';
import expressSession from 'express-session';
import {
  Session,
  SessionHandle,
  SessionModule,
  SessionSchema,
  SessionService,
  SessionStore,
  UsesSession,
} from '../../src/index.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform } from '../support/platforms.js';
import { ProbeStore } from '../support/probe-store.js';
import { SECRET } from '../support/session-app.js';

@SessionSchema('tally')
class TallySession {
  @IsInt() count = 0;
}

/** Counts failed attempts in the session, then refuses: the counter must survive the 403. */
@Injectable()
class AttemptCountingGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await this.sessions.get(context);
    session.set('attempts', (session.get<number>('attempts') ?? 0) + 1);
    throw new ForbiddenException('no');
  }
}

/** Writes to the session, then fails with a 5xx: nothing may be kept. */
@Injectable()
class BrokenGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await this.sessions.get(context);
    session.set('broken', true);
    throw new InternalServerErrorException('guard broke');
  }
}

/** Writes to the session and lets the request through. */
@Injectable()
class PassingGuard implements CanActivate {
  constructor(private readonly sessions: SessionService) {}
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const session = await this.sessions.get(context);
    session.set('passed', (session.get<number>('passed') ?? 0) + 1);
    return true;
  }
}

/** A provider that writes the session during the handler. */
@Injectable()
class Stamp {
  constructor(private readonly sessions: SessionService) {}
  async stamp(request: object): Promise<void> {
    (await this.sessions.get(request)).set('stamped', true);
  }
}

/** A method decorator that replaces the method with a wrapper and copies nothing. */
function Timed(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    descriptor.value = function timed(this: unknown, ...args: unknown[]) {
      return original.apply(this, args);
    };
    return descriptor;
  };
}

/** A wrapper that copies the metadata of the original onto the wrapper (as well-behaved ones do). */
function TimedCopying(): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    const wrapped = function timed(this: unknown, ...args: unknown[]) {
      return original.apply(this, args);
    };
    for (const key of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapped);
    }
    descriptor.value = wrapped;
    return descriptor;
  };
}

@Controller()
class ScopeController {
  constructor(
    private readonly stamp: Stamp,
    private readonly sessions: SessionService,
  ) {}

  @Get('untouched')
  untouched() {
    return { ok: true };
  }

  @Get('tally')
  tally(@Session() tally: TallySession) {
    return { count: tally.count };
  }

  @Post('tally')
  bump(@Session() tally: TallySession) {
    tally.count += 1;
    return { count: tally.count };
  }

  @Post('login-attempt')
  @UsesSession()
  @UseGuards(AttemptCountingGuard)
  attempt() {
    return { unreachable: true };
  }

  @Post('broken')
  @UsesSession()
  @UseGuards(BrokenGuard)
  broken() {
    return { unreachable: true };
  }

  @Post('guarded')
  @UsesSession()
  @UseGuards(PassingGuard)
  guarded() {
    return { ok: true };
  }

  @Post('stamp')
  @UsesSession()
  async stampIt(@Req() request: object) {
    await this.stamp.stamp(request);
    return { ok: true };
  }

  @Post('unmarked-write')
  async unmarkedWrite(@Req() request: object) {
    const session = await this.sessions.get(request);
    try {
      session.set('lost', true);
      return { wrote: true };
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  }

  @Get('peek')
  peek(@Session() session: SessionHandle) {
    return {
      attempts: session.get('attempts') ?? null,
      broken: session.get('broken') ?? null,
      passed: session.get('passed') ?? null,
      stamped: session.get('stamped') ?? null,
      lost: session.get('lost') ?? null,
    };
  }

  // Wrapping decorators, outside and inside the route decorator.
  @TimedCopying()
  @Post('wrapped-outside')
  wrappedOutside(@Session() tally: TallySession) {
    tally.count += 10;
    return { count: tally.count };
  }

  @Post('wrapped-inside')
  @Timed()
  wrappedInside(@Session() tally: TallySession) {
    tally.count += 100;
    return { count: tally.count };
  }

  @TimedCopying()
  @Post('wrapped-marker')
  @UsesSession()
  async wrappedMarker(@Req() request: object) {
    await this.stamp.stamp(request);
    return { ok: true };
  }

  @Get('reach')
  reach(@Session() session: SessionHandle) {
    return { names: reachableNames(session), own: Object.getOwnPropertyNames(session) };
  }
}

/** The method as the class defines it, kept before any application binds the class. */
const ownUntouched = ScopeController.prototype.untouched;

/** Every property name reachable from an object, up to (not including) `Object.prototype`. */
function reachableNames(value: object): string[] {
  const names = new Set<string>();
  for (
    let at: object | null = value;
    at && at !== Object.prototype;
    at = Object.getPrototypeOf(at)
  ) {
    for (const name of Object.getOwnPropertyNames(at)) if (name !== 'constructor') names.add(name);
    for (const symbol of Object.getOwnPropertySymbols(at)) names.add(String(symbol));
  }
  return [...names].sort();
}

async function start(platform: Platform, everyRoute = false) {
  const store = new ProbeStore();
  const running = await startApp(
    platform,
    {
      imports: [SessionModule.forRoot({ secret: SECRET, everyRoute })],
      controllers: [ScopeController],
      providers: [Stamp, AttemptCountingGuard, BrokenGuard, PassingGuard],
    },
    (builder) => builder.overrideProvider(SessionStore).useValue(store),
  );
  return { ...running, store };
}

describe.each(PLATFORMS)('route-scoped sessions on %s', (platform) => {
  let app: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    app = await start(platform);
  });
  afterAll(() => app.close());

  it('a route that does not use the session carries no trace of the library', async () => {
    const browser = new Browser(app.url);
    await browser.post('/tally');
    expect(browser.cookie).toBeDefined();
    app.store.reset();
    const reply = await browser.get('/untouched');
    expect(reply.status).toBe(200);
    expect(reply.setCookies).toEqual([]);
    expect(reply.headers.get('cache-control')).toBeNull();
    expect(Object.values(app.store.calls).reduce((a, b) => a + b, 0)).toBe(0);
    // The library did not bind it: the method is the controller's own, with no added argument.
    expect(ScopeController.prototype.untouched).toBe(ownUntouched);
    expect(Reflect.getMetadata('__interceptors__', ownUntouched)).toBeUndefined();
  });

  it('a guard that writes the session and rejects with 403 keeps its write', async () => {
    const browser = new Browser(app.url);
    for (let i = 0; i < 3; i++) {
      const reply = await browser.post('/login-attempt');
      expect(reply.status).toBe(403);
      expect(reply.body.message).toBe('no');
    }
    expect((await browser.get('/peek')).body.attempts).toBe(3);
  });

  it('a guard that writes the session and fails with a 5xx keeps nothing', async () => {
    const browser = new Browser(app.url);
    await browser.post('/tally');
    const reply = await browser.post('/broken');
    expect(reply.status).toBe(500);
    expect((await browser.get('/peek')).body.broken).toBeNull();
  });

  it('a marked route commits what its guard and a provider wrote', async () => {
    const browser = new Browser(app.url);
    expect((await browser.post('/guarded')).status).toBe(201);
    expect((await browser.post('/stamp')).status).toBe(201);
    const peek = (await browser.get('/peek')).body;
    expect(peek.passed).toBe(1);
    expect(peek.stamped).toBe(true);
  });

  it('a guard rejecting with 403 while the store is down gets 503, not a lost write', async () => {
    const browser = new Browser(app.url);
    await browser.post('/tally');
    app.store.failing.add('set');
    try {
      const reply = await browser.post('/login-attempt');
      expect(reply.status).toBe(503);
      expect(reply.headers.get('retry-after')).not.toBeNull();
      expect(reply.body.message).toContain('may not have been saved');
    } finally {
      app.store.failing.clear();
    }
  });

  it('a session write on a route that does not use the session fails at once, naming the route and the fix', async () => {
    const browser = new Browser(app.url);
    await browser.post('/tally');
    const reply = await browser.post('/unmarked-write');
    expect(reply.body.error).toBe('SessionNotCommittedError');
    expect(reply.body.message).toContain('@UsesSession()');
    expect(reply.body.message).toContain('everyRoute');
    expect((await browser.get('/peek')).body.lost).toBeNull();
  });

  it('route metadata survives decorators that wrap the method, outside and inside the route decorator', async () => {
    const browser = new Browser(app.url);
    expect((await browser.post('/wrapped-outside')).body).toEqual({ count: 10 });
    expect((await browser.post('/wrapped-inside')).body).toEqual({ count: 110 });
    expect((await browser.get('/tally')).body).toEqual({ count: 110 });
    expect((await browser.post('/wrapped-marker')).status).toBe(201);
    expect((await browser.get('/peek')).body.stamped).toBe(true);
  });

  it('the handle exposes exactly the documented SessionHandle API', async () => {
    const browser = new Browser(app.url);
    const { names, own } = (await browser.get('/reach')).body;
    expect(own).toEqual([]);
    expect(names).toEqual(
      [
        'clear',
        'commit',
        'destroy',
        'flash',
        'get',
        'id',
        'isNew',
        'keys',
        'load',
        'regenerate',
        'remove',
        'set',
        'setUser',
        'takeFlash',
        'touch',
        'userId',
        'userInfo',
      ].sort(),
    );
  });
});

describe.each(PLATFORMS)('everyRoute: true on %s', (platform) => {
  let app: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    app = await start(platform, true);
  });
  afterAll(() => app.close());

  it('a provider write on a route without a marker is committed', async () => {
    const browser = new Browser(app.url);
    await browser.post('/tally');
    expect((await browser.post('/unmarked-write')).body).toEqual({ wrote: true });
    expect((await browser.get('/peek')).body.lost).toBe(true);
  });
});

@Controller()
class NestSessionController {
  @Get('nest-session')
  read(@NestSession() session: unknown) {
    return { session: session ?? null };
  }
}

describe.each(PLATFORMS)("Nest's own @Session() on %s", (platform) => {
  it('fails the boot with a message naming the handler and the right import', async () => {
    await expect(
      startApp(platform, {
        imports: [SessionModule.forRoot({ secret: SECRET })],
        controllers: [NestSessionController],
      }),
    ).rejects.toThrow(
      /NestSessionController\.read\(\) use @Session\(\) from '@nestjs\/common'.*import \{ Session \} from 'nestjs-typed-session'/,
    );
  });
});

describe.each(PLATFORMS)(
  "Nest's own @Session() beside the platform's session middleware on %s",
  (platform) => {
    it('boots: req.session is the platform session there', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [SessionModule.forRoot({ secret: SECRET })],
        controllers: [NestSessionController],
      }).compile();
      const app =
        platform === 'fastify'
          ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
              logger: false,
            })
          : moduleRef.createNestApplication({ logger: false });
      try {
        if (platform === 'fastify') {
          const fastify = app as NestFastifyApplication;
          await fastify.register(fastifyCookie as never);
          await fastify.register(
            fastifySession as never,
            { secret: SECRET, cookie: { secure: false } } as never,
          );
        } else {
          app.use(expressSession({ secret: SECRET, resave: false, saveUninitialized: false }));
        }
        await expect(app.init()).resolves.toBeDefined();
      } finally {
        await app.close();
      }
    });
  },
);
