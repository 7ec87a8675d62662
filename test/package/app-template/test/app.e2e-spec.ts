import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SessionModule, SessionStore } from 'nestjs-typed-session';
import { createSessionCookie, readSession, TestClock } from 'nestjs-typed-session/testing';
import request from 'supertest';
import { AppModule } from '../src/app.module.js';
import { CounterController } from '../src/counter.controller.js';
import { createTestApp, PLATFORMS } from '../src/platforms.js';
import { RecordingStore } from './recording-store.js';

describe.each(PLATFORMS)('the app on %s', (platform) => {
  describe('with its store overridden', () => {
    let app: INestApplication;
    const store = new RecordingStore();

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(SessionStore)
        .useValue(store)
        .compile();
      app = await createTestApp(moduleRef, platform);
    });
    afterAll(() => app.close());

    it('round-trips a session through the overriding store', async () => {
      const first = await request(app.getHttpServer()).post('/bump').expect(201);
      const cookie = first.headers['set-cookie'];
      expect(first.body).toEqual({ n: 1 });
      await request(app.getHttpServer()).post('/bump').set('Cookie', cookie).expect(201);
      const read = await request(app.getHttpServer()).get('/count').set('Cookie', cookie);
      expect(read.body).toEqual({ n: 2 });
      expect(store.calls).toContain('set:create');
      expect(store.calls).toContain('set:update');
    });

    it('starts a session with given data and reads it back by cookie', async () => {
      const cookie = await createSessionCookie(app, { counter: { n: 41 } });
      const bumped = await request(app.getHttpServer()).post('/bump').set('Cookie', cookie);
      expect(bumped.body).toEqual({ n: 42 });
      expect(await readSession(app, cookie)).toEqual({ counter: { n: 42 } });
      await request(app.getHttpServer()).post('/logout').set('Cookie', cookie).expect(201);
      expect(await readSession(app, cookie)).toBeNull();
    });
  });

  describe('on a movable clock', () => {
    let app: INestApplication;
    const clock = new TestClock();

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          SessionModule.forRoot({
            secret: 'packed-app-secret-packed-app-secret-0',
            clock: clock.now,
            idleTimeout: 60_000,
          }),
        ],
        controllers: [CounterController],
      }).compile();
      app = await createTestApp(moduleRef, platform);
    });
    afterAll(() => app.close());

    it('expires an idle session when the clock passes its idle timeout', async () => {
      const cookie = await createSessionCookie(app, { counter: { n: 7 } });
      clock.advance(59_999);
      expect(await readSession(app, cookie)).toEqual({ counter: { n: 7 } });
      clock.advance(1);
      expect(await readSession(app, cookie)).toBeNull();
      const fresh = await request(app.getHttpServer()).get('/count').set('Cookie', cookie);
      expect(fresh.body).toEqual({ n: 0 });
    });
  });
});
