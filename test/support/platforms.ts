import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/**
 * Boots a test module on a real HTTP server on a loopback port. Both platforms trust the proxy
 * so that `X-Forwarded-Proto: https` counts as HTTPS, as it does behind a load balancer.
 */
export async function startApp(
  platform: Platform,
  metadata: ModuleMetadata,
  customize: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<RunningApp> {
  const moduleRef = await customize(Test.createTestingModule(metadata)).compile();
  let app: INestApplication;
  if (platform === 'fastify') {
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      new FastifyAdapter({ trustProxy: true }),
      { logger: false },
    );
  } else {
    const express = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    express.set('trust proxy', true);
    app = express;
  }
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}
