import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.useGlobalPipes(new ValidationPipe({ transform: true, whitelist: true }));
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  const url = `http://localhost:${port}`;
  console.log(`
nestjs-typed-session sample on ${url} (store: ${process.env.SESSION_STORE ?? 'memory'})

Try it with curl (the cookie jar keeps your session):
  curl -c jar -b jar ${url}/cart
  curl -c jar -b jar -H 'content-type: application/json' -d '{"sku":"apple","quantity":2}' ${url}/cart
  curl -c jar -b jar -H 'content-type: application/json' -d '{"sku":"apple","quantity":0}' ${url}/cart   # 400
  curl -c jar -b jar -H 'content-type: application/json' -d '{"user":"ada"}' ${url}/login
  curl -c jar -b jar ${url}/me
  curl -c jar -b jar -X DELETE ${url}/cart/apple
  curl -c jar -b jar -X POST ${url}/logout
`);
}

void main();
