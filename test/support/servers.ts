import { connect } from 'node:net';
import { describe } from '@jest/globals';

/** Where the real servers the store tests talk to are; override with the usual variables. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const SERVERS = {
  redis: REDIS_URL,
  postgres: DATABASE_URL,
} as const;

export type ServerName = keyof typeof SERVERS;

function answers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether the server answers. When it does not: with `CI=true` an error (never a skip),
 * otherwise one clear line saying which server is missing and that its suites are skipped.
 */
export async function serverAvailable(server: ServerName): Promise<boolean> {
  const url = SERVERS[server];
  if (await answers(url)) return true;
  const message = `${server} is not answering at ${url}`;
  if (process.env.CI === 'true') {
    throw new Error(`${message}; CI=true requires it (.ci/run starts it)`);
  }
  process.stderr.write(
    `\nSKIPPED ${server} suites: ${message} (start it, or set CI=true to fail)\n`,
  );
  return false;
}

/** `describe` when the server answers; otherwise `describe.skip` (see `serverAvailable`). */
export async function describeWithServer(server: ServerName): Promise<typeof describe> {
  return (await serverAvailable(server)) ? describe : (describe.skip as typeof describe);
}
