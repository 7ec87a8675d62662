import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { createSampleApp, samplePlatform } from './create-sample-app.js';

async function main(): Promise<void> {
  const platform = samplePlatform(process.env.SAMPLE_PLATFORM);
  const app = await createSampleApp({ platform, trustProxy: process.env.TRUST_PROXY === 'true' });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
  // The port actually bound (PORT=0 picks a free one).
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://localhost:${port}`;
  console.log(`Open the shop page: ${url}/

nestjs-typed-session sample on ${platform} (store: ${process.env.SESSION_STORE ?? 'memory'})

The JSON routes, with curl (the cookie jar keeps your session):
  curl -c jar -b jar ${url}/cart
  curl -c jar -b jar -H 'content-type: application/json' -d '{"sku":"apple","quantity":2}' ${url}/cart
  curl -c jar -b jar -H 'content-type: application/json' -d '{"sku":"apple","quantity":0}' ${url}/cart   # 400
  curl -c jar -b jar -H 'content-type: application/json' -d '{"user":"ada"}' ${url}/login
  curl -c jar -b jar ${url}/me
  curl -c jar -b jar -X DELETE ${url}/cart/apple
  curl -c jar -b jar -X POST ${url}/logout
  curl ${url}/health   # the session store's health (@nestjs/terminus)
`);
  app.flushLogs();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
