import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

export type SamplePlatform = 'express' | 'fastify';

export interface SampleAppOptions {
  platform: SamplePlatform;
  /**
   * Believe `X-Forwarded-Proto` (and the forwarded client address) from the peer: turn it on
   * only behind a proxy that sets them, so `secure: 'auto'` marks the cookie Secure there.
   */
  trustProxy: boolean;
  /** `false` silences Nest's logger (tests); otherwise its lines wait for `app.flushLogs()`. */
  logger?: false;
}

/** The sample app on Express or Fastify; the adapter is loaded only for the platform chosen. */
export async function createSampleApp(options: SampleAppOptions): Promise<INestApplication> {
  // Nest's start-up lines are held back so that `npm start` can print the page's address first.
  const nestOptions =
    options.logger === false
      ? { logger: false as const }
      : { bufferLogs: true, autoFlushLogs: false };
  let app: INestApplication;
  if (options.platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const adapter = new FastifyAdapter({ trustProxy: options.trustProxy });
    app = await NestFactory.create(AppModule, adapter, nestOptions);
  } else {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    const adapter = new ExpressAdapter();
    if (options.trustProxy) adapter.set('trust proxy', true);
    app = await NestFactory.create(AppModule, adapter, nestOptions);
  }
  app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true }));
  return app;
}

export function samplePlatform(value: string | undefined): SamplePlatform {
  const platform = value ?? 'express';
  if (platform === 'express' || platform === 'fastify') return platform;
  throw new Error(`SAMPLE_PLATFORM must be express or fastify (got "${platform}")`);
}
