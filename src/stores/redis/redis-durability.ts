import { createHash } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import { SessionStoreError } from '../../store/session-store-error.js';
import {
  closeRedisClient,
  READY_TIMEOUT_MS,
  reportErrors,
  whenReady,
  type StoreClient,
} from './redis-connection.js';
import type { RedisWaitForReplicas } from './redis-options.js';

/**
 * The writes that wait for replicas, on a connection of their own. Redis answers one connection's
 * commands in order, and `WAIT` holds its connection until the replicas confirm (or the timeout):
 * on the store's main connection every read, touch and lock release queued behind it would wait
 * too, and while a replica is missing they would all time out with the writes. So confirmed
 * writes go over a duplicate of the store's client (one more connection per server), opened on
 * the first write and closed with the store.
 */
export class ConfirmedWrites {
  private client: Promise<StoreClient> | undefined;
  private closed = false;

  constructor(
    private readonly option: RedisWaitForReplicas,
    private readonly logger: Logger,
  ) {}

  /** `write` and `WAIT` (see `writeAndWait`) on the confirmed-writes connection. */
  async write(main: StoreClient, write: ScriptCall | { del: string[] }): Promise<unknown> {
    return writeAndWait(await this.connection(main), write, this.option);
  }

  async close(): Promise<void> {
    this.closed = true;
    const opening = this.client;
    this.client = undefined;
    const client = await opening?.catch(() => undefined);
    if (client) await closeRedisClient(client);
  }

  private async connection(main: StoreClient): Promise<StoreClient> {
    if (this.closed) throw new Error('RedisSessionStore: the store is closed');
    if (!this.client) {
      // The same kind of client with the same options (a cluster's duplicate is a cluster).
      const duplicate: StoreClient =
        'refreshSlotsCache' in main ? main.duplicate() : main.duplicate();
      reportErrors(duplicate, this.logger);
      this.client = Promise.resolve(duplicate);
    }
    const client = await this.client;
    await whenReady(client, READY_TIMEOUT_MS);
    return client;
  }
}

/** Check the option when the store is built, with messages that name it. */
export function checkWaitForReplicas(
  option: RedisWaitForReplicas | undefined,
  commandTimeoutMs: number | undefined,
): void {
  if (option === undefined) return;
  const { replicas, timeoutMs } = option;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new Error(
      `RedisSessionStore: waitForReplicas.replicas must be an integer of at least 1, got ${String(replicas)}`,
    );
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new Error(
      `RedisSessionStore: waitForReplicas.timeoutMs must be an integer of at least 1 ms (WAIT 0 waits forever), got ${String(timeoutMs)}`,
    );
  }
  if (commandTimeoutMs !== undefined && timeoutMs >= commandTimeoutMs) {
    throw new Error(
      `RedisSessionStore: waitForReplicas.timeoutMs (${timeoutMs}) must be shorter than the client's commandTimeout (${commandTimeoutMs} ms), or every unconfirmed write would end as a client timeout`,
    );
  }
}

/** Replies that mean the node did not run the command: safe to send it again. */
const NOT_RUN = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|NOSCRIPT) /;
/** Bounded: a slot that keeps moving ends as a not-applied failure, never a loop. */
const ATTEMPTS = 3;

export function scriptSha(lua: string): string {
  return createHash('sha1').update(lua).digest('hex');
}

/** A script call as the durable path sends it: the text only after the server lost its copy. */
export interface ScriptCall {
  lua: string;
  sha: string;
  key: string;
  args: string[];
}

/**
 * Run one write (a script on one key, or `DEL` of keys of one slot) and `WAIT` in one pipeline;
 * the write's reply once `replicas` replicas have it. A cluster pipeline is not redirected by
 * ioredis when one of its commands succeeds, so a MOVED (or NOSCRIPT) reply to the write, which
 * means it did not run, is retried here after the slot map is refreshed.
 */
export async function writeAndWait(
  client: StoreClient,
  write: ScriptCall | { del: string[] },
  option: RedisWaitForReplicas,
): Promise<unknown> {
  let sendText = false;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const pipeline = client.pipeline();
    if ('del' in write) pipeline.del(...write.del);
    else if (sendText) pipeline.call('eval', write.lua, 1, write.key, ...write.args);
    else pipeline.call('evalsha', write.sha, 1, write.key, ...write.args);
    pipeline.call('wait', option.replicas, option.timeoutMs);
    // A rejected exec (connection lost after sending) propagates: its outcome is unknown.
    const results = (await pipeline.exec()) ?? [];
    const [writeError, reply] = results[0] ?? [new Error('no reply to the write')];
    const [waitError, confirmed] = results[1] ?? [new Error('no reply to WAIT')];
    if (writeError) {
      const notRun = NOT_RUN.exec(writeError.message);
      if (!notRun) throw writeError;
      if (notRun[1] === 'NOSCRIPT') sendText = true;
      else await refreshSlots(client, attempt);
      continue;
    }
    // A commit that found a conflict or a missing session wrote nothing: nothing to confirm.
    if (Array.isArray(reply) && reply[0] !== 'ok') return reply;
    if (waitError || typeof confirmed !== 'number' || confirmed < option.replicas) {
      const seen = waitError ? `WAIT failed: ${waitError.message}` : `${String(confirmed)}`;
      throw new SessionStoreError(
        `Redis session store: the write was not confirmed by ${option.replicas} replica(s) within ${option.timeoutMs} ms (confirmed: ${seen}); it may or may not survive a failover`,
        'unknown',
        { cause: waitError ?? undefined },
      );
    }
    return reply;
  }
  throw new SessionStoreError(
    `Redis session store: the write was redirected ${ATTEMPTS} times (the cluster is failing over) and not run`,
    'not-applied',
  );
}

/** Let a cluster that is moving slots settle a little, and learn where they went. */
async function refreshSlots(client: StoreClient, attempt: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  if (!('refreshSlotsCache' in client)) return;
  await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
}
