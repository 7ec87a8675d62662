import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { SessionEvents, SessionModule, SessionStore, type SessionEvent } from '../../src/index.js';
import { FixtureController } from '../support/fixtures.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { ProbeStore } from '../support/probe-store.js';
import { SECRET } from '../support/session-app.js';
import { TestClock } from '../../src/testing/test-clock.js';

/** Receives the events through @nestjs/event-emitter, as an application would. */
@Injectable()
class AuditListener {
  static seen: SessionEvent[] = [];
  @OnEvent('session.created') created(event: SessionEvent) {
    AuditListener.seen.push(event);
  }
  @OnEvent('session.regenerated') regenerated(event: SessionEvent) {
    AuditListener.seen.push(event);
  }
  @OnEvent('session.destroyed') destroyed(event: SessionEvent) {
    AuditListener.seen.push(event);
  }
  @OnEvent('session.expired') expired(event: SessionEvent) {
    AuditListener.seen.push(event);
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(PLATFORMS)('session life-cycle events on %s', (platform: Platform) => {
  let app: RunningApp;
  let clock: TestClock;
  let subscribed: SessionEvent[];
  beforeAll(async () => {
    clock = new TestClock();
    app = await startApp(
      platform,
      {
        imports: [
          EventEmitterModule.forRoot(),
          SessionModule.forRoot({ secret: SECRET, clock: clock.now, idleTimeout: 60_000 }),
        ],
        controllers: [FixtureController],
        providers: [AuditListener],
      },
      // The store's clock lags the module's by a minute, as a store whose TTL lags would: it
      // still hands out a record the module finds expired.
      (builder) =>
        builder.overrideProvider(SessionStore).useValue(new ProbeStore(() => clock.now() - 60_000)),
    );
    subscribed = [];
    app.app.get(SessionEvents).subscribe((event) => subscribed.push(event));
  });
  afterAll(() => app.close());

  it('created, regenerated (with the tag it replaced) and destroyed reach @OnEvent and subscribers, by tag only', async () => {
    AuditListener.seen = [];
    subscribed.length = 0;
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    const firstId = browser.cookie!.split('.')[0];
    await browser.post('/login', { user: 'ada' });
    const secondId = browser.cookie!.split('.')[0];
    await browser.post('/logout');
    await settle();
    const types = AuditListener.seen.map((event) => event.type);
    expect(types).toEqual(['session.created', 'session.regenerated', 'session.destroyed']);
    expect(subscribed.map((event) => event.type)).toEqual(types);
    const [created, regenerated, destroyed] = AuditListener.seen;
    expect(regenerated.previousTag).toBe(created.tag);
    expect(destroyed.tag).toBe(regenerated.tag);
    const text = JSON.stringify(AuditListener.seen);
    expect(text).not.toContain(firstId);
    expect(text).not.toContain(secondId);
  });

  it('a session the module finds past its expiry is announced as expired', async () => {
    AuditListener.seen = [];
    const browser = new Browser(app.url);
    await browser.post('/cart', { sku: 'a', quantity: 1 });
    clock.advance(60_001);
    expect((await browser.get('/cart')).body.items).toEqual([]);
    await settle();
    expect(AuditListener.seen.map((event) => event.type)).toEqual([
      'session.created',
      'session.expired',
    ]);
  });

  it('a listener that throws neither fails nor delays the request', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unsubscribe = app.app.get(SessionEvents).subscribe(() => {
      throw new Error('listener broke');
    });
    try {
      const browser = new Browser(app.url);
      expect((await browser.post('/cart', { sku: 'a', quantity: 1 })).status).toBe(201);
      await settle();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener broke'));
    } finally {
      unsubscribe();
      warn.mockRestore();
    }
  });
});
