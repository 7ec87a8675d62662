import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { closeRedisClient, reportErrors, type StoreClient } from './redis-connection.js';
import {
  checkKeyspaceEvents,
  type RedisExpiryEvents,
  type RedisKeyspaceState,
} from './redis-keyspace-config.js';

/**
 * How often a cluster's topology is read again while watching. ioredis reads it only when a
 * command meets a moved slot; a failover with no traffic in between would leave the subscriber on
 * the demoted master, which expires nothing any more.
 */
const TOPOLOGY_CHECK_MS = 5_000;

/** What the store knows of its expiry subscription; see `RedisSessionStore.expiryEvents()`. */
export interface RedisExpiryEventsState {
  /** Subscribed on every node that expires keys (every master of a cluster). */
  subscribed: boolean;
  /** Each node's `notify-keyspace-events`, as read when it was last (re)subscribed. */
  nodes: RedisKeyspaceState[];
}

export interface RedisExpiryWatchOptions {
  mode: Exclude<RedisExpiryEvents, 'off'>;
  /** The store's prefix. */
  prefix: string;
  logger: Logger;
  /** Called with the id (store key) of each session Redis expired. */
  onExpired: (id: string) => void;
}

/**
 * Hears Redis expire session keys: a subscriber connection per node that expires keys (the
 * server; every master of a cluster, followed as its topology changes, read again every few
 * seconds) on that node's
 * `__keyevent@<db>__:expired` channel, keeping the keys that are this store's sessions.
 *
 * Best-effort, as Redis's notifications are: a key's event comes when Redis actually deletes it
 * (on access or by its background expiry cycle, so possibly some time after its TTL), once, to
 * whoever is subscribed then: an expiry while a subscriber is disconnected is never heard.
 */
export class RedisExpiryWatch {
  private readonly nodes = new Map<string, NodeSubscriber>();
  private readonly logged = new Map<string, string>();
  private started: Promise<void> | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly reconcile = () => void this.followCluster();

  constructor(
    private readonly client: StoreClient,
    private readonly options: RedisExpiryWatchOptions,
  ) {}

  start(): void {
    if (!isCluster(this.client)) {
      const redis = this.client;
      const db = redis.options.db ?? 0;
      this.add(nodeName(redis), redis, db);
      this.started = Promise.resolve();
      return;
    }
    const cluster = this.client;
    // The masters change with failovers and resharding: look again after every slots refresh.
    cluster.on('refresh', this.reconcile);
    this.timer = setInterval(() => cluster.refreshSlotsCache(), TOPOLOGY_CHECK_MS);
    this.timer.unref();
    this.started =
      cluster.status === 'ready'
        ? this.followCluster()
        : new Promise<void>((resolve) =>
            cluster.once('ready', () => resolve(this.followCluster())),
          );
  }

  /** The state once every node's first subscription attempt has settled. */
  async state(): Promise<RedisExpiryEventsState> {
    await this.started;
    const nodes = [...this.nodes.values()];
    await Promise.all(nodes.map((node) => node.settled));
    return {
      subscribed: nodes.length > 0 && nodes.every((node) => node.subscribed),
      nodes: nodes.map((node) => node.keyspace),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (isCluster(this.client)) this.client.off('refresh', this.reconcile);
    const nodes = [...this.nodes.values()];
    this.nodes.clear();
    await Promise.all(nodes.map((node) => node.close()));
  }

  /** One subscriber per current master; those of nodes no longer masters are closed. */
  private async followCluster(): Promise<void> {
    if (this.closed || !isCluster(this.client)) return;
    const masters = new Map(this.client.nodes('master').map((node) => [nodeName(node), node]));
    for (const [name, node] of this.nodes) {
      if (masters.has(name)) continue;
      this.nodes.delete(name);
      await node.close();
    }
    for (const [name, node] of masters) if (!this.nodes.has(name)) this.add(name, node, 0);
  }

  private add(name: string, commands: Redis, db: number): void {
    const keyPrefix = `${(commands.options.keyPrefix as string | undefined) ?? ''}${this.options.prefix}{`;
    const node = new NodeSubscriber(name, commands, `__keyevent@${db}__:expired`, {
      mode: this.options.mode,
      logger: this.options.logger,
      say: (node, kind, log) => {
        // Once per node and state: a node that stays off is not reported at every reconnection.
        if (this.logged.get(node) === kind) return;
        this.logged.set(node, kind);
        log(this.options.logger);
      },
      onKey: (key) => {
        // A session's hash is `<prefix>{<id>}`; its lock key ends in `}:lock` and is left out.
        if (this.closed || !key.startsWith(keyPrefix) || !key.endsWith('}')) return;
        this.options.onExpired(key.slice(keyPrefix.length, -1));
      },
    });
    this.nodes.set(name, node);
  }
}

interface NodeSubscriberOptions {
  mode: Exclude<RedisExpiryEvents, 'off'>;
  logger: Logger;
  say: (node: string, kind: string, log: (logger: Logger) => void) => void;
  onKey: (key: string) => void;
}

/** The subscriber connection of one node. */
class NodeSubscriber {
  subscribed = false;
  keyspace: RedisKeyspaceState;
  readonly settled: Promise<void>;
  private readonly subscriber: Redis;
  private settle!: () => void;
  private everSubscribed = false;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly commands: Redis,
    private readonly channel: string,
    private readonly options: NodeSubscriberOptions,
  ) {
    this.keyspace = { node: name, flags: null, enabled: null };
    this.settled = new Promise((resolve) => (this.settle = resolve));
    // Its own connection: a subscribed connection takes no other commands. It queues the
    // subscription until it is connected, and reconnects on its own like the store's client.
    this.subscriber = commands.duplicate({
      lazyConnect: false,
      readOnly: false,
      enableOfflineQueue: true,
      autoResubscribe: true,
      // A duplicate inherits the store client's auto-pipelining, under which the subscription
      // was not sent again after a server restart (the restart test waits 10 s in vain).
      enableAutoPipelining: false,
    });
    reportErrors(this.subscriber, options.logger);
    this.subscriber.on('message', (channel: string, key: string) => {
      if (channel === this.channel) options.onKey(key);
    });
    // Checked again at every (re)connection: a restarted or failed-over server may have lost the
    // setting, which `'enable'` then sets again.
    this.subscriber.on('ready', () => void this.attach());
    this.subscriber.on('close', () => {
      this.subscribed = false;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.settle();
    await closeRedisClient(this.subscriber);
  }

  private async attach(): Promise<void> {
    try {
      this.keyspace = await checkKeyspaceEvents(
        this.commands,
        this.name,
        this.options.mode,
        this.options.say,
      );
      if (this.closed) return;
      await this.subscriber.subscribe(this.channel);
      this.subscribed = true;
      if (this.everSubscribed) {
        this.options.logger.warn(
          `expiry notifications from ${this.name} resumed; sessions that expired while the ` +
            `subscriber was disconnected were not reported`,
        );
      }
      this.everSubscribed = true;
    } catch (error) {
      if (!this.closed) {
        this.options.logger.warn(
          `could not subscribe to expiry notifications at ${this.name}: ${String(error)}`,
        );
      }
    } finally {
      this.settle();
    }
  }
}

function isCluster(client: StoreClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

function nodeName(redis: Redis): string {
  const { host, port, name, sentinels } = redis.options;
  if (sentinels && name) return `sentinel master "${name}"`;
  return `${host ?? 'localhost'}:${port ?? 6379}`;
}
