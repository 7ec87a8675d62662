/**
 * The Redis deployments the failover runs start, and the faults they inject: a private cluster of
 * three masters with a replica each, or a master, a replica and a sentinel. Every server is a
 * child process stopped by PID (`redis-processes.ts`).
 */
import {
  redisCli,
  startRedisCluster,
  startRedisSentinel,
  waitFor,
  type RedisClusterProcesses,
  type RedisSentinelProcesses,
} from '../../test/redis/support/redis-processes.js';
import type {
  ScaleStoreConfig,
  WaitForReplicasConfig,
} from '../../test/scale/support/scale-app-config.js';

/** How long a silent master has before the cluster or the sentinel replaces it. */
export const NODE_TIMEOUT_MS = 3_000;

export interface Deployment {
  readonly description: string;
  storeConfig(waitForReplicas?: WaitForReplicasConfig): ScaleStoreConfig;
  stop(): Promise<void>;
}

/** What a fault did, in ms from when it was injected. */
export interface FaultTimeline {
  /** The replica answered as master. */
  promotedAfterMs: number;
  /** The killed server was back as a replica in sync (kill only). */
  replicaBackAfterMs?: number;
}

interface ClusterNode {
  port: number;
  id: string;
  master: boolean;
  masterId: string;
}

async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = await redisCli(port, 'CLUSTER', 'NODES');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [id, address, flags, masterId] = line.split(' ');
      return {
        id,
        port: Number(address.split('@')[0].split(':')[1]),
        master: flags.includes('master'),
        masterId,
      };
    });
}

const isMaster = async (port: number) =>
  (await redisCli(port, 'INFO', 'replication')).includes('role:master');
const isSyncedReplica = async (port: number) =>
  (await redisCli(port, 'INFO', 'replication')).includes('master_link_status:up');

export class ClusterDeployment implements Deployment {
  readonly description =
    'Redis Cluster: 3 masters + 3 replicas (cluster-node-timeout ' + NODE_TIMEOUT_MS + ' ms)';
  private constructor(private readonly cluster: RedisClusterProcesses) {}

  static async start(): Promise<ClusterDeployment> {
    return new ClusterDeployment(
      await startRedisCluster({ replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS }),
    );
  }

  storeConfig(waitForReplicas?: WaitForReplicasConfig): ScaleStoreConfig {
    return { kind: 'redis-cluster', ports: this.cluster.ports, prefix: 'scale:', waitForReplicas };
  }

  /** A master and its replica, as the cluster sees them now. */
  private async pair(): Promise<{ master: number; replica: number }> {
    const nodes = await clusterNodes(this.cluster.ports[0]);
    const replica = nodes.find((node) => !node.master && node.masterId !== '-');
    const master = nodes.find((node) => node.id === replica?.masterId);
    if (!replica || !master) throw new Error('no master with a replica in CLUSTER NODES');
    return { master: master.port, replica: replica.port };
  }

  /** `CLUSTER FAILOVER` on a replica: master and replica swap roles, coordinated. */
  async manualFailover(): Promise<FaultTimeline> {
    const { replica } = await this.pair();
    const began = performance.now();
    const answer = await redisCli(replica, 'CLUSTER', 'FAILOVER');
    if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER answered ${answer || 'nothing'}`);
    await waitFor(() => isMaster(replica), 30_000, 'the replica to take over');
    return { promotedAfterMs: performance.now() - began };
  }

  /**
   * `kill -9` of a master; its replica is promoted by the cluster; then the killed node is
   * started again (as a supervisor would), after the promotion (an empty master coming back
   * before it would take its slots back, empty), and rejoins as a replica.
   */
  async killMaster(): Promise<FaultTimeline> {
    const { master, replica } = await this.pair();
    const began = performance.now();
    await this.cluster.nodes.get(master)!.stop();
    await waitFor(() => isMaster(replica), 60_000, 'the cluster to promote the replica');
    const promotedAfterMs = performance.now() - began;
    await this.cluster.restart(master);
    await waitFor(() => isSyncedReplica(master), 60_000, 'the killed node to rejoin as replica');
    return { promotedAfterMs, replicaBackAfterMs: performance.now() - began };
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }
}

export class SentinelDeployment implements Deployment {
  readonly description = `Redis Sentinel: a master, a replica and one sentinel (down-after-milliseconds ${NODE_TIMEOUT_MS})`;
  private constructor(private readonly sentinel: RedisSentinelProcesses) {}

  static async start(): Promise<SentinelDeployment> {
    return new SentinelDeployment(
      await startRedisSentinel('sessions', { replica: true, downAfterMs: NODE_TIMEOUT_MS }),
    );
  }

  storeConfig(waitForReplicas?: WaitForReplicasConfig): ScaleStoreConfig {
    return {
      kind: 'redis-sentinel',
      sentinelPort: this.sentinel.sentinelPort,
      masterName: this.sentinel.masterName,
      prefix: 'scale:',
      waitForReplicas,
    };
  }

  /** `kill -9` of the master; the sentinel promotes the replica; the old master restarts. */
  async killMaster(): Promise<FaultTimeline> {
    const master = this.sentinel.masterPort;
    const replica = this.sentinel.replicaPort!;
    const began = performance.now();
    await this.sentinel.servers.get(master)!.stop();
    await waitFor(
      async () =>
        (
          await redisCli(
            this.sentinel.sentinelPort,
            'SENTINEL',
            'get-master-addr-by-name',
            this.sentinel.masterName,
          )
        ).includes(String(replica)) && (await isMaster(replica)),
      60_000,
      'the sentinel to promote the replica',
    );
    const promotedAfterMs = performance.now() - began;
    await this.sentinel.restart(master);
    await waitFor(() => isSyncedReplica(master), 60_000, 'the old master to rejoin as replica');
    return { promotedAfterMs, replicaBackAfterMs: performance.now() - began };
  }

  stop(): Promise<void> {
    return this.sentinel.stop();
  }
}
