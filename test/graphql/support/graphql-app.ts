import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { SessionModule, SessionStore, type SessionModuleOptions } from '../../../src/index.js';
import { TestClock } from '../../../src/testing/test-clock.js';
import { GatedStore } from '../../support/gated-store.js';
import { Browser, type Reply } from '../../support/http-client.js';
import { startApp, type Platform, type RunningApp } from '../../support/platforms.js';
import { ProbeStore } from '../../support/probe-store.js';
import { SECRET } from '../../support/session-app.js';
import { CartResolver, PlainResolver, SignedInGuard } from './cart-resolver.js';

export interface GraphqlApp extends RunningApp {
  store: ProbeStore;
  /** The same store, able to hold a chosen call (`gates.pauseNext('set')`). */
  gates: GatedStore;
}

/**
 * The GraphQL module as an application sets it up: Apollo on Express, Mercurius on Fastify,
 * code first, with no `context` option (the library finds the request and response itself).
 */
export function graphqlModule(platform: Platform) {
  return platform === 'express'
    ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        autoSchemaFile: true,
      });
}

/** The cart resolvers over real HTTP, with a counting store that can be made to fail. */
export async function startGraphqlApp(
  platform: Platform,
  options: Partial<SessionModuleOptions> = {},
): Promise<GraphqlApp> {
  const clock = new TestClock();
  const store = new ProbeStore(clock.now);
  const gates = new GatedStore(store);
  const running = await startApp(
    platform,
    {
      imports: [
        SessionModule.forRoot({ secret: SECRET, clock: clock.now, ...options }),
        graphqlModule(platform),
      ],
      providers: [CartResolver, PlainResolver, SignedInGuard],
    },
    (builder) => builder.overrideProvider(SessionStore).useValue(gates),
  );
  return { ...running, store, gates };
}

/** POST one GraphQL operation as a browser would, with its cookie. */
export function graphql(
  browser: Browser,
  query: string,
  variables?: Record<string, unknown>,
): Promise<Reply> {
  return browser.post('/graphql', { query, variables });
}
