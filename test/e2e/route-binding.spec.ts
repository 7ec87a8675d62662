import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  ParseIntPipe,
  Post,
  Query,
  type ArgumentMetadata,
  type PipeTransform,
} from '@nestjs/common';
import { IsInt } from 'class-validator';
import { of, type Observable } from 'rxjs';
import { delay } from 'rxjs/operators';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  Session,
  SessionLock,
  SessionModule,
  SessionSchema,
  SessionStore,
} from '../../src/index.js';
import { MemorySessionStore } from '../../src/stores/memory/memory-session-store.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';

@SessionSchema('tally')
class TallySession {
  @IsInt() count = 0;
}

@Controller()
class BindingController {
  @Post('tally')
  @HttpCode(200)
  tally(@Session() tally: TallySession): number {
    tally.count += 1;
    return tally.count;
  }

  @Get('tally')
  read(@Session({ readonly: true }) tally: TallySession): number {
    return tally.count;
  }

  /** An Observable answer: the write is committed before the value is sent. */
  @Post('tally/later')
  @HttpCode(200)
  later(@Session() tally: TallySession): Observable<number> {
    tally.count += 10;
    return of(tally.count).pipe(delay(5));
  }

  /** A locked route whose other parameter's pipe can refuse the request before the handler. */
  @Post('locked')
  @HttpCode(200)
  @SessionLock({ waitMs: 300, ttlMs: 60_000 })
  locked(@Query('n', ParseIntPipe) n: number, @Session() tally: TallySession): number {
    tally.count += n;
    return tally.count;
  }

  @Get('untouched')
  untouched(): string {
    return 'ok';
  }
}

/** Kept before any application binds the class: what the controller's own methods were. */
const ownTally = BindingController.prototype.tally;
const ownUntouched = BindingController.prototype.untouched;

async function start(platform: Platform, store = new MemorySessionStore()) {
  const running = await startApp(
    platform,
    {
      imports: [SessionModule.forRoot({ secret: SECRET })],
      controllers: [BindingController],
    },
    (builder) => builder.overrideProvider(SessionStore).useValue(store),
  );
  return { ...running, store };
}

describe.each(PLATFORMS)('routes bound to the session on %s', (platform) => {
  let app: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    app = await start(platform);
  });
  afterAll(() => app.close());

  it('a bound handler keeps its name and route metadata, and a direct call reaches the method', () => {
    const bound = BindingController.prototype.tally;
    expect(bound).not.toBe(ownTally);
    expect(bound.name).toBe('tally');
    expect(Reflect.getMetadata('path', bound)).toBe('tally');
    expect(Reflect.getMetadata('__httpCode__', bound)).toBe(200);
    // A unit test calling the controller without Nest gets the method itself.
    expect(new BindingController().tally({ count: 41 })).toBe(42);
  });

  it('a route that does not use the session keeps its own method', async () => {
    expect(BindingController.prototype.untouched).toBe(ownUntouched);
    expect((await new Browser(app.url).get('/untouched')).body).toBe('ok');
  });

  it('an Observable answer is sent after its write is committed', async () => {
    const browser = new Browser(app.url);
    expect((await browser.post('/tally')).body).toBe(1);
    expect((await browser.post('/tally/later')).body).toBe(11);
    expect((await browser.get('/tally')).body).toBe(11);
  });

  it("a request refused by another parameter's pipe releases the session lock at once", async () => {
    const browser = new Browser(app.url);
    await browser.post('/tally');
    const refused = await browser.post('/locked?n=abc');
    expect(refused.status).toBe(400);
    // The lock waits 300 ms at most: a lock left behind (60 s TTL) would answer 423 here.
    const next = await browser.post('/locked?n=5');
    expect(next.status).toBe(200);
    expect(next.body).toBe(6);
  });
});

describe('one controller class in two applications at once', () => {
  it('each application commits to its own store', async () => {
    const first = await start('express');
    const second = await start('fastify');
    try {
      const a = new Browser(first.url);
      const b = new Browser(second.url);
      await a.post('/tally');
      await b.post('/tally');
      await b.post('/tally');
      expect((await a.post('/tally')).body).toBe(2);
      expect((await b.get('/tally')).body).toBe(2);
      expect(first.store.size).toBe(1);
      expect(second.store.size).toBe(1);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

/** A global pipe that replaces custom parameters without a type: the hidden one among them. */
@Injectable()
class ReplaceUntypedPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'custom' && metadata.metatype === undefined ? 'replaced' : value;
  }
}

describe.each(PLATFORMS)('a global pipe that replaces the hidden argument on %s', (platform) => {
  it('fails the request with an error, never a silently lost write', async () => {
    const store = new MemorySessionStore();
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot({ secret: SECRET })],
      controllers: [BindingController],
    })
      .overrideProvider(SessionStore)
      .useValue(store)
      .compile();
    const app =
      platform === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    app.useGlobalPipes(new ReplaceUntypedPipe());
    await app.listen(0, '127.0.0.1');
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const reply = await new Browser(url).post('/tally');
      expect(reply.status).toBe(500);
      expect(store.size).toBe(0);
    } finally {
      await app.close();
    }
  });
});
