/** How the harness configures one scale app process (passed as one JSON argument). */
export interface ScaleAppConfig {
  platform: 'express' | 'fastify';
  secret: string;
  store: ScaleStoreConfig;
}

/** The store option as it crosses the process boundary: plain JSON. */
export interface WaitForReplicasConfig {
  replicas: number;
  timeoutMs: number;
}

export type ScaleStoreConfig =
  | {
      kind: 'redis-cluster';
      ports: number[];
      prefix: string;
      waitForReplicas?: WaitForReplicasConfig;
    }
  | {
      kind: 'redis-sentinel';
      sentinelPort: number;
      masterName: string;
      prefix: string;
      waitForReplicas?: WaitForReplicasConfig;
    }
  | { kind: 'postgres'; connectionString: string; table: string };
