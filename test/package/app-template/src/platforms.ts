import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { TestingModule } from '@nestjs/testing';

export const PLATFORMS = ['express', 'fastify'] as const;
export type Platform = (typeof PLATFORMS)[number];

const adapterFor = (platform: Platform) =>
  platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();

export async function createApp(module: object, platform: Platform): Promise<INestApplication> {
  return NestFactory.create(module as never, adapterFor(platform), { logger: false });
}

/** A testing module's app, ready for supertest on either platform. */
export async function createTestApp(
  moduleRef: TestingModule,
  platform: Platform,
): Promise<INestApplication> {
  const app = moduleRef.createNestApplication(adapterFor(platform), { logger: false });
  await app.init();
  if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}
