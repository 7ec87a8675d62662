import { SessionModule, SessionStore, type SessionModuleOptions } from '../../src/index.js';
import { FixtureController, VisitCountingGuard } from './fixtures.js';
import { startApp, type Platform, type RunningApp } from './platforms.js';
import { ProbeStore } from './probe-store.js';
import { TestClock } from '../../src/testing/test-clock.js';

export const SECRET = 'a-test-secret-that-is-long-enough-0001';

export interface SessionApp extends RunningApp {
  store: ProbeStore;
  clock: TestClock;
}

/** The fixture app with a counting store and a hand-moved clock, on one platform. */
export async function startSessionApp(
  platform: Platform,
  options: Partial<SessionModuleOptions> = {},
  controllers: Array<new (...args: never[]) => object> = [],
): Promise<SessionApp> {
  const clock = new TestClock();
  const store = new ProbeStore(clock.now);
  const running = await startApp(
    platform,
    {
      imports: [SessionModule.forRoot({ secret: SECRET, clock: clock.now, ...options })],
      controllers: [FixtureController, ...controllers],
      providers: [VisitCountingGuard],
    },
    (builder) => builder.overrideProvider(SessionStore).useValue(store),
  );
  return { ...running, store, clock };
}
