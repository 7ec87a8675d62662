import { afterEach, describe, expect, it } from '@jest/globals';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { SessionModule } from '../../src/index.js';
import { Browser } from '../support/http-client.js';
import { PLATFORMS, startApp, type Platform, type RunningApp } from '../support/platforms.js';
import { SECRET } from '../support/session-app.js';
import { graphql, graphqlModule } from './support/graphql-app.js';
import { BasketResolver, LockedResolver, SubscriptionResolver } from './support/field-resolvers.js';

/** The GraphQL module with Nest's interceptors (and guards) run on `@ResolveField`s too. */
function withFieldEnhancers(platform: Platform) {
  const fieldResolverEnhancers: Array<'guards' | 'interceptors'> = ['guards', 'interceptors'];
  return platform === 'express'
    ? GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        fieldResolverEnhancers,
      })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        autoSchemaFile: true,
        fieldResolverEnhancers,
      });
}

describe.each(PLATFORMS)('GraphQL resolvers at start-up and on fields, on %s', (platform) => {
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('@SessionLock() on a resolver fails the boot, naming the resolver', async () => {
    await expect(
      startApp(platform, {
        imports: [SessionModule.forRoot({ secret: SECRET }), graphqlModule(platform)],
        providers: [LockedResolver],
      }),
    ).rejects.toThrow(/LockedResolver\.pay\(\): @SessionLock\(\) is not supported on GraphQL/);
  });

  it('@Session() on a subscription fails the boot, naming the resolver', async () => {
    await expect(
      startApp(platform, {
        imports: [SessionModule.forRoot({ secret: SECRET }), graphqlModule(platform)],
        providers: [SubscriptionResolver],
      }),
    ).rejects.toThrow(/SubscriptionResolver\.cartChanged\(\): a GraphQL subscription/);
  });

  it('@Session() on a @ResolveField without field interceptors: an error saying which option', async () => {
    running = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET }), graphqlModule(platform)],
      providers: [BasketResolver],
    });
    const reply = await graphql(new Browser(running.url), '{ basket { label lines } }');
    expect(reply.body.errors[0].message).toContain("fieldResolverEnhancers: ['interceptors']");
  });

  it('@Session() on a @ResolveField with fieldResolverEnhancers reads the session', async () => {
    running = await startApp(platform, {
      imports: [SessionModule.forRoot({ secret: SECRET }), withFieldEnhancers(platform)],
      providers: [BasketResolver],
    });
    const browser = new Browser(running.url);
    expect((await graphql(browser, 'mutation { addLine }')).body.data.addLine).toBe(1);
    expect((await graphql(browser, 'mutation { addLine }')).body.data.addLine).toBe(2);
    const reply = await graphql(browser, '{ basket { label lines } }');
    expect(reply.body).toEqual({ data: { basket: { label: 'mine', lines: 2 } } });
  });
});
