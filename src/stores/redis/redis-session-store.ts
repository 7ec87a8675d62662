import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { SessionStore } from '../../store/session-store.js';
import {
  isExpired,
  type SessionLockRequest,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
} from '../../store/session-record.js';
import {
  closeRedisClient,
  openRedisClient,
  COMMAND_TIMEOUT_MS,
  READY_TIMEOUT_MS,
  whenReady,
  type StoreClient,
} from './redis-connection.js';
import type { RedisClient, RedisConnectionOptions, RedisWaitForReplicas } from './redis-options.js';
import { lockKey, OWNER_FIELD, readSessionHash, sessionKey } from './redis-session-hash.js';
import type { DestroyForUserOptions, UserSessionEntry } from '../../store/user-session-entry.js';
import {
  indexScore,
  indexTimes,
  ownerUserId,
  readUserIndex,
  USER_INDEX_COMMAND,
  USER_INDEX_SCRIPT,
  userIndexKeys,
} from './redis-user-index.js';
import { pollForLock } from '../../store/lock-polling.js';
import { SessionStoreError } from '../../store/session-store-error.js';
import { redisNotSentError, redisStoreError } from './redis-store-errors.js';
import { jsonTextSerializer, type RedisSessionSerializer } from './redis-session-serializer.js';
import { checkWaitForReplicas, ConfirmedWrites, scriptSha } from './redis-durability.js';
import { StoreExpiryListeners, type StoreExpiryListener } from '../../store/session-expiry.js';
import { RedisExpiryWatch, type RedisExpiryEventsState } from './redis-expiry-watch.js';
import type { RedisExpiryEvents } from './redis-keyspace-config.js';
import {
  COMMIT_COMMAND,
  COMMIT_SCRIPT,
  DESTROY_COMMAND,
  DESTROY_IF_UNCHANGED_COMMAND,
  DESTROY_IF_UNCHANGED_SCRIPT,
  DESTROY_SCRIPT,
  RELEASE_LOCK_COMMAND,
  RELEASE_LOCK_SCRIPT,
  TOUCH_COMMAND,
  TOUCH_SCRIPT,
} from './redis-session-scripts.js';

export interface RedisSessionStoreOptions extends RedisConnectionOptions {
  /**
   * An ioredis client you own (standalone, Sentinel or Cluster). The store defines its scripts on
   * it and uses it as configured; `close()` leaves it open. Without it, the store opens its own
   * client from the connection options (`url`, `redisOptions`, `sentinels`, `clusterNodes`), with
   * fail-fast defaults, and closes it in `close()`.
   */
  client?: RedisClient;
  /** Prefix of every key the store writes. Default `'sess:'`. */
  prefix?: string;
  /** The clock, in epoch ms, used for the expiry kept in the record. Default `Date.now`. */
  now?: () => number;
  /** How namespace text is stored; see `RedisSessionSerializer`. Default: the JSON text as is. */
  serializer?: RedisSessionSerializer;
  /**
   * Make every commit and destroy wait until this many replicas have it (`WAIT`, pipelined after
   * the write: still one round trip), so that a write acknowledged to the client survives the
   * master's death. Unconfirmed in time: `SessionStoreError` with outcome `'unknown'`. Default:
   * off (Redis's asynchronous replication; a master killed may lose its last writes).
   */
  waitForReplicas?: RedisWaitForReplicas;
  /**
   * Raise `session.expired` when Redis expires a session, through keyspace notifications: see
   * `RedisExpiryEvents`. Default `'if-enabled'`. A subscriber connection per node (per master of
   * a cluster) is opened only once the application listens to the event.
   */
  expiryEvents?: RedisExpiryEvents;
}

const COMMIT_SHA = scriptSha(COMMIT_SCRIPT);
const DESTROY_IF_UNCHANGED_SHA = scriptSha(DESTROY_IF_UNCHANGED_SCRIPT);
const DESTROY_SHA = scriptSha(DESTROY_SCRIPT);

/** The scripts, as ioredis `defineCommand` adds them to a client. */
interface ScriptedClient {
  [COMMIT_COMMAND](key: string, ...args: string[]): Promise<string[]>;
  [TOUCH_COMMAND](key: string, ...args: string[]): Promise<number | string>;
  [RELEASE_LOCK_COMMAND](key: string, token: string): Promise<number>;
  [DESTROY_IF_UNCHANGED_COMMAND](key: string, ...args: string[]): Promise<string[]>;
  [DESTROY_COMMAND](key: string, ...args: string[]): Promise<[string, number, number, string]>;
  [USER_INDEX_COMMAND](hash: string, sorted: string, ...args: string[]): Promise<unknown>;
}

type ReadyClient = StoreClient & ScriptedClient;

/**
 * Sessions in Redis: one hash per session (one field per namespace, see `redis-session-hash.ts`),
 * so a commit writes only the namespaces that changed. Every call is one round trip: a read is
 * `HGETALL`, a commit and a touch are each one Lua script that also moves the key's TTL to the
 * earlier of the idle and absolute expiry. Works with standalone Redis, Sentinel and Cluster (a
 * session's keys share a hash tag). Locks are `SET NX PX` keys, released by compare-and-delete.
 *
 * ioredis is an optional peer dependency, loaded only when a store without `client` first needs
 * its connection.
 */
export class RedisSessionStore extends SessionStore {
  private readonly logger = new Logger('RedisSessionStore');
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly serializer: RedisSessionSerializer;
  /** Set when the store opened the client itself and so must close it. */
  private readonly owned: boolean;
  private client: Promise<ReadyClient> | undefined;
  private closed = false;
  /** Set with `waitForReplicas`: commits and destroys on a connection of their own. */
  private readonly confirmed: ConfirmedWrites | undefined;
  private readonly expiries = new StoreExpiryListeners('RedisSessionStore');
  private watching: Promise<RedisExpiryWatch | undefined> | undefined;

  constructor(private readonly options: RedisSessionStoreOptions = {}) {
    super();
    this.prefix = options.prefix ?? 'sess:';
    this.now = options.now ?? Date.now;
    this.serializer = options.serializer ?? jsonTextSerializer;
    this.owned = options.client === undefined;
    const ways = ['client', 'url', 'sentinels', 'clusterNodes'].filter(
      (way) => options[way as keyof RedisSessionStoreOptions] !== undefined,
    );
    if (ways.length > 1) {
      throw new Error(`RedisSessionStore: give only one of ${ways.join(', ')}`);
    }
    if (options.sentinels && !options.sentinelName) {
      throw new Error('RedisSessionStore: sentinels need sentinelName (the master group name)');
    }
    const expiryEvents = options.expiryEvents ?? 'if-enabled';
    if (!['if-enabled', 'enable', 'off'].includes(expiryEvents)) {
      throw new Error(
        `RedisSessionStore: expiryEvents must be 'if-enabled', 'enable' or 'off' (got ${JSON.stringify(expiryEvents)})`,
      );
    }
    checkWaitForReplicas(options.waitForReplicas, ownedCommandTimeout(options));
    this.confirmed =
      options.waitForReplicas && new ConfirmedWrites(options.waitForReplicas, this.logger);
    if (options.client) this.client = Promise.resolve(withScripts(options.client));
  }

  async get(id: string): Promise<StoredSession | null> {
    const fields = await this.call('get', (client) => client.hgetall(sessionKey(this.prefix, id)));
    const session = readSessionHash(fields, this.serializer);
    if (!session || isExpired(session.metadata, this.now())) return null;
    return session;
  }

  async set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    const { metadata } = write;
    assertTimes(metadata.createdAt, metadata.lastSeenAt, metadata.idleExpiresAt);
    if (metadata.absoluteExpiresAt !== null) assertTimes(metadata.absoluteExpiresAt);
    const setEntries = Object.entries(write.set);
    const expectEntries = Object.entries(write.expectRevisions ?? {});
    const args = [
      write.mode,
      String(this.now()),
      String(metadata.createdAt),
      String(metadata.lastSeenAt),
      String(metadata.idleExpiresAt),
      metadata.absoluteExpiresAt === null ? '' : String(metadata.absoluteExpiresAt),
      String(setEntries.length),
      String(write.remove.length),
      String(expectEntries.length),
      ...setEntries.flatMap(([namespace, text]) => [namespace, this.serializer.encode(text)]),
      ...write.remove,
      ...expectEntries.flatMap(([namespace, revision]) => [namespace, String(revision)]),
      write.owner === undefined ? '' : write.owner === null ? '-' : JSON.stringify(write.owner),
    ];
    const key = sessionKey(this.prefix, id);
    // A binding goes into the user's index first, so that the index is never short of a bound
    // session (their keys are in different cluster slots: two commands, see redis-user-index.ts).
    const owner = write.owner;
    if (owner) {
      await this.indexCall('set', owner.userId, [
        'bind',
        String(this.now()),
        id,
        String(indexScore(metadata)),
        indexTimes(metadata),
        JSON.stringify(owner.info),
      ]);
    }
    const [status, ...rest] = await this.call('set', async (client) =>
      this.confirmed
        ? ((await this.confirmed.write(client, {
            lua: COMMIT_SCRIPT,
            sha: COMMIT_SHA,
            key,
            args,
          })) as string[])
        : client[COMMIT_COMMAND](key, ...args),
    );
    if (status === 'ok') {
      const [before, after] = rest;
      const previousUser = ownerUserId(before);
      const user = ownerUserId(after);
      if (previousUser !== undefined && previousUser !== user) {
        await this.unindex(previousUser, [id]);
      }
      if (user !== undefined && !owner) {
        await this.refreshIndex(user, id, metadata.lastSeenAt, metadata.idleExpiresAt);
      }
      return { status: 'ok' };
    }
    // Nothing was written: a binding indexed ahead of the write comes out again, unless the
    // session was bound to that user already.
    if (owner) {
      const stored =
        status === 'missing'
          ? undefined
          : await this.call('set', (client) => client.hget(key, OWNER_FIELD));
      if (ownerUserId(stored) !== owner.userId) await this.unindex(owner.userId, [id]);
    }
    if (status === 'missing') return { status: 'missing' };
    return { status: 'conflict', namespaces: rest };
  }

  async destroy(id: string): Promise<void> {
    const [, , , owner] = await this.destroyKeys(id, '');
    const user = ownerUserId(owner);
    if (user !== undefined) await this.unindex(user, [id]);
  }

  /** The session and its lock (one slot, one script even on a cluster); see `DESTROY_SCRIPT`. */
  private destroyKeys(id: string, onlyForUser: string): Promise<[string, number, number, string]> {
    const key = sessionKey(this.prefix, id);
    const args = [String(this.now()), onlyForUser];
    return this.call('destroy', async (client) =>
      this.confirmed
        ? ((await this.confirmed.write(client, {
            lua: DESTROY_SCRIPT,
            sha: DESTROY_SHA,
            key,
            args,
          })) as [string, number, number, string])
        : client[DESTROY_COMMAND](key, ...args),
    );
  }

  override async listForUser(userId: string): Promise<UserSessionEntry[]> {
    const flat = (await this.indexCall('listForUser', userId, [
      'list',
      String(this.now()),
    ])) as string[];
    const now = this.now();
    return readUserIndex(flat).filter((entry) => !isExpired(entry.metadata, now));
  }

  /**
   * One round trip for the user's index, then one script per session on its own slot (sent
   * together), then one to take them out of the index. A session the index lists but that is no
   * longer bound to this user (rebound meanwhile) is left alone.
   */
  override async destroyForUser(
    userId: string,
    options: DestroyForUserOptions = {},
  ): Promise<string[]> {
    const flat = (await this.indexCall('destroyForUser', userId, [
      'list',
      String(this.now()),
    ])) as string[];
    const ids = readUserIndex(flat)
      .map((entry) => entry.id)
      .filter((id) => id !== options.except);
    if (ids.length === 0) return [];
    const outcomes = await Promise.all(ids.map((id) => this.destroyKeys(id, userId)));
    await this.unindex(userId, ids);
    return ids.filter((_, n) => outcomes[n][1] === 1 && outcomes[n][2] === 1);
  }

  private indexCall(operation: string, userId: string, args: string[]): Promise<unknown> {
    const [hash, sorted] = userIndexKeys(this.prefix, userId);
    return this.call(operation, (client) => client[USER_INDEX_COMMAND](hash, sorted, ...args));
  }

  /**
   * Take sessions out of a user's index after they ended or were rebound. If that fails the
   * index keeps an entry of a dead session until its score passes: listed a while (logged), but
   * harmless to `destroyForUser`. So it is logged, not thrown: the session's own write is done.
   */
  private async unindex(userId: string, ids: string[]): Promise<void> {
    try {
      await this.indexCall('unindex', userId, ['remove', String(this.now()), ...ids]);
    } catch (error) {
      this.logger.warn(`removing ended sessions from a user index failed: ${String(error)}`);
    }
  }

  /** Move a bound session's times forward in its user's index after a commit or touch. */
  private async refreshIndex(
    userId: string,
    id: string,
    lastSeenAt: number,
    idleExpiresAt: number,
  ): Promise<void> {
    try {
      await this.indexCall('refreshIndex', userId, [
        'refresh',
        String(this.now()),
        id,
        String(lastSeenAt),
        String(idleExpiresAt),
      ]);
    } catch (error) {
      // With an absolute expiry the entry's score already covers the session's whole life; the
      // list shows an older last-seen until the next refresh.
      this.logger.warn(`refreshing a user index entry failed: ${String(error)}`);
    }
  }

  async destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    const args = [
      String(this.now()),
      ...Object.entries(revisions).flatMap(([namespace, revision]) => [
        namespace,
        String(revision),
      ]),
    ];
    // Only the hash: a lock on the id belongs to its holder, who releases it (or it expires).
    const key = sessionKey(this.prefix, id);
    // A write like a commit: with waitForReplicas, confirmed (else a failover could revive the id).
    const answer = await this.call('destroyIfUnchanged', async (client) =>
      this.confirmed
        ? await this.confirmed.write(client, {
            lua: DESTROY_IF_UNCHANGED_SCRIPT,
            sha: DESTROY_IF_UNCHANGED_SHA,
            key,
            args,
          })
        : client[DESTROY_IF_UNCHANGED_COMMAND](key, ...args),
    );
    const [outcome, owner] = answer as string[];
    if (outcome === 'ok') {
      const user = ownerUserId(owner);
      if (user !== undefined) await this.unindex(user, [id]);
      return 'destroyed';
    }
    if (outcome === 'missing' || outcome === 'changed') return outcome;
    // Only a script of another version under the same name could answer otherwise.
    throw new SessionStoreError(
      `RedisSessionStore: unexpected answer from destroyIfUnchanged: ${String(answer)}`,
      'unknown',
    );
  }

  async touch(id: string, touch: SessionTouch): Promise<void> {
    assertTimes(touch.lastSeenAt, touch.idleExpiresAt);
    const args = [String(this.now()), String(touch.lastSeenAt), String(touch.idleExpiresAt)];
    const owner = await this.call('touch', (client) =>
      client[TOUCH_COMMAND](sessionKey(this.prefix, id), ...args),
    );
    const user = typeof owner === 'string' ? ownerUserId(owner) : undefined;
    if (user !== undefined) {
      await this.refreshIndex(user, id, touch.lastSeenAt, touch.idleExpiresAt);
    }
  }

  override async acquireLock(id: string, request: SessionLockRequest): Promise<string | null> {
    const key = lockKey(this.prefix, id);
    const token = randomUUID();
    const ttl = Math.max(1, Math.ceil(request.ttlMs));
    const take = async () =>
      (await this.call('acquireLock', (client) => client.set(key, token, 'PX', ttl, 'NX'))) ===
      'OK';
    return (await pollForLock(take, request.waitMs)) ? token : null;
  }

  override async releaseLock(id: string, token: string): Promise<void> {
    await this.call('releaseLock', (client) =>
      client[RELEASE_LOCK_COMMAND](lockKey(this.prefix, id), token),
    );
  }

  /**
   * Reports each session Redis expires, heard through keyspace notifications (`expiryEvents`).
   * Subscribes on the first listener and unsubscribes after the last. Best-effort: a report comes
   * when Redis deletes the key (at its TTL or somewhat later, by Redis's expiry cycle), never
   * names the timeout (`'unknown'`: the record is gone), and an expiry while the subscriber is
   * disconnected, or on a server without the setting, is not reported.
   */
  override onExpired(listener: StoreExpiryListener): () => void {
    const remove = this.expiries.add(listener);
    if (!this.watching && this.options.expiryEvents !== 'off') this.watching = this.startWatch();
    return () => {
      remove();
      if (!this.expiries.listening) void this.stopWatch();
    };
  }

  /**
   * Whether the store hears Redis expire sessions: once its subscription has been tried on every
   * node, each node's `notify-keyspace-events` and whether all are subscribed. For health checks
   * and tests; `{ subscribed: false, nodes: [] }` when nobody listens or `expiryEvents` is `'off'`.
   */
  async expiryEvents(): Promise<RedisExpiryEventsState> {
    const watch = await this.watching;
    return watch ? watch.state() : { subscribed: false, nodes: [] };
  }

  private async startWatch(): Promise<RedisExpiryWatch | undefined> {
    let client: ReadyClient;
    try {
      client = await this.connection();
    } catch (error) {
      this.logger.warn(
        `cannot watch for expired sessions, Redis is not reachable (${String(error)}); ` +
          `trying again with the next listener`,
      );
      this.watching = undefined;
      return undefined;
    }
    if (this.closed || !this.expiries.listening) {
      this.watching = undefined;
      return undefined;
    }
    const watch = new RedisExpiryWatch(client, {
      mode: this.options.expiryEvents === 'enable' ? 'enable' : 'if-enabled',
      prefix: this.prefix,
      logger: this.logger,
      onExpired: (id) => this.expiries.report({ key: id, cause: 'unknown', at: this.now() }),
    });
    watch.start();
    return watch;
  }

  private async stopWatch(): Promise<void> {
    const watching = this.watching;
    this.watching = undefined;
    await (await watching)?.close();
  }

  override async close(): Promise<void> {
    this.closed = true;
    await this.stopWatch();
    const opening = this.client;
    this.client = undefined;
    if (this.owned && opening) {
      const client = await opening.catch(() => undefined);
      if (client) await closeRedisClient(client);
    }
    await this.confirmed?.close();
    await super.close();
  }

  /**
   * One command on the ready client. Failures become `SessionStoreError`s that tell a command
   * never sent (or refused by the server) from one that may have been applied.
   */
  private async call<T>(operation: string, command: (client: ReadyClient) => Promise<T>) {
    let client: ReadyClient;
    try {
      client = await this.connection();
    } catch (error) {
      throw redisNotSentError(operation, error);
    }
    try {
      return await command(client);
    } catch (error) {
      throw redisStoreError(operation, error);
    }
  }

  /** The client, opened on first use when the store owns it, and ready for a command. */
  private async connection(): Promise<ReadyClient> {
    if (this.closed) throw new Error('RedisSessionStore: the store is closed');
    if (!this.client) {
      const opening = openRedisClient(this.options, this.logger).then(withScripts);
      // A failed open (ioredis missing) is retried on the next call rather than cached.
      opening.catch(() => {
        if (this.client === opening) this.client = undefined;
      });
      this.client = opening;
    }
    const client = await this.client;
    if (this.owned) await whenReady(client, READY_TIMEOUT_MS);
    return client;
  }
}

/** Define the store's scripts on a client (once; every store defines the same ones). */
function withScripts(client: RedisClient): ReadyClient {
  // Either reply mapping will do: HGETALL answers an object and the scripts arrays in both.
  const scripted = client as unknown as ReadyClient;
  if (typeof scripted[COMMIT_COMMAND] !== 'function') {
    scripted.defineCommand(COMMIT_COMMAND, { lua: COMMIT_SCRIPT, numberOfKeys: 1 });
    scripted.defineCommand(TOUCH_COMMAND, { lua: TOUCH_SCRIPT, numberOfKeys: 1 });
    scripted.defineCommand(RELEASE_LOCK_COMMAND, { lua: RELEASE_LOCK_SCRIPT, numberOfKeys: 1 });
    scripted.defineCommand(DESTROY_IF_UNCHANGED_COMMAND, {
      lua: DESTROY_IF_UNCHANGED_SCRIPT,
      numberOfKeys: 1,
    });
    scripted.defineCommand(DESTROY_COMMAND, { lua: DESTROY_SCRIPT, numberOfKeys: 1 });
    scripted.defineCommand(USER_INDEX_COMMAND, { lua: USER_INDEX_SCRIPT, numberOfKeys: 2 });
  }
  return scripted;
}

/**
 * The `commandTimeout` of a client the store opens itself (its fail-fast default unless the
 * options set one); unknown for a client the caller owns.
 */
function ownedCommandTimeout(options: RedisSessionStoreOptions): number | undefined {
  if (options.client) return undefined;
  const own = options.clusterNodes
    ? (options.clusterOptions as { redisOptions?: { commandTimeout?: number } } | undefined)
        ?.redisOptions
    : (options.redisOptions as { commandTimeout?: number } | undefined);
  return own?.commandTimeout ?? COMMAND_TIMEOUT_MS;
}

/** Times go to Lua as text: an `Infinity` or `NaN` there would fail obscurely on the server. */
function assertTimes(...times: number[]): void {
  for (const time of times) {
    if (!Number.isFinite(time)) {
      throw new TypeError(`RedisSessionStore: times must be finite epoch ms, got ${time}`);
    }
  }
}
