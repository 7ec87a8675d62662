import 'reflect-metadata';
import { PostgresSessionStore } from 'nestjs-typed-session/postgres';
import { RedisSessionStore } from 'nestjs-typed-session/redis';
import { AppModule } from './app.module.js';
import { createApp, type Platform } from './platforms.js';

// Boots the app on the platform named by argv[2], listens, and round-trips a session over real
// HTTP. The Redis and PostgreSQL entries load here although ioredis and pg are not installed.
async function main(): Promise<void> {
  const platform = process.argv[2] as Platform;
  const app = await createApp(AppModule, platform);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const first = await fetch(`${url}/bump`, { method: 'POST' });
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0];
  await fetch(`${url}/bump`, { method: 'POST', headers: { cookie } });
  const read = (await (await fetch(`${url}/count`, { headers: { cookie } })).json()) as object;
  await app.close();
  const stores = [typeof RedisSessionStore, typeof PostgresSessionStore];
  console.log(JSON.stringify({ platform, read, stores }));
}

void main();
