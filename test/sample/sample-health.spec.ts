import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createSampleApp } from '../../sample/src/create-sample-app.js';
import { PLATFORMS } from '../support/platforms.js';

describe.each(PLATFORMS)('the sample app /health route (%s)', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createSampleApp({ platform, trustProxy: false, logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('reports the session store it runs on as up', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { info: unknown }).info).toEqual({
      sessions: { status: 'up', store: 'MemorySessionStore', responseTimeMs: expect.any(Number) },
    });
  });
});
