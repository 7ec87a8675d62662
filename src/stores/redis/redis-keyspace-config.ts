import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

/**
 * `expiryEvents`: whether the store raises `session.expired` when Redis expires a session key,
 * through keyspace notifications (`notify-keyspace-events`).
 * - `'if-enabled'` (default): subscribe; events come when the server has the setting on (`E`
 *   and `x`, e.g. `Ex`, `KEA`). When it is off, one log line says so and how to turn it on.
 * - `'enable'`: also turn it on where it is off, with `CONFIG SET` (keeping the flags already
 *   set). Managed services often forbid `CONFIG`: then a warning says to set it in the service's
 *   configuration instead.
 * - `'off'`: never subscribe; expiry is then announced only when a request finds its session
 *   expired.
 */
export type RedisExpiryEvents = 'if-enabled' | 'enable' | 'off';

const SETTING = 'notify-keyspace-events';

/** What a node's `notify-keyspace-events` says of expiry notifications. */
export interface RedisKeyspaceState {
  /** `host:port`. */
  node: string;
  /** The flags as read (after `'enable'` set them), or `null` when `CONFIG GET` is refused. */
  flags: string | null;
  /** Whether the node sends `expired` key events; `null` when unknown (`CONFIG` refused). */
  enabled: boolean | null;
}

/** `E` (key-event channel) and `x` (expired), the latter also part of the alias `A`. */
export function sendsExpiredEvents(flags: string): boolean {
  return flags.includes('E') && (flags.includes('x') || flags.includes('A'));
}

/**
 * Read a node's setting and, with `'enable'`, turn expiry events on. Never throws: whatever
 * fails is logged once per node and state (the caller checks again after each reconnection).
 */
export async function checkKeyspaceEvents(
  commands: Redis,
  node: string,
  mode: Exclude<RedisExpiryEvents, 'off'>,
  say: (node: string, kind: string, log: (logger: Logger) => void) => void,
): Promise<RedisKeyspaceState> {
  let flags: string;
  try {
    flags = await readFlags(commands);
  } catch (error) {
    say(node, 'unreadable', (logger) =>
      logger.warn(
        `cannot read ${SETTING} at ${node} (${message(error)}); subscribed anyway: ` +
          `session.expired follows Redis's expiry only if the server has "Ex" in it`,
      ),
    );
    return { node, flags: null, enabled: null };
  }
  if (sendsExpiredEvents(flags)) return { node, flags, enabled: true };
  if (mode === 'enable') {
    const wanted = withExpiredEvents(flags);
    try {
      await commands.config('SET', SETTING, wanted);
      say(node, 'enabled', (logger) =>
        logger.log(`turned on expiry notifications at ${node} (${SETTING} "${wanted}")`),
      );
      return { node, flags: wanted, enabled: true };
    } catch (error) {
      say(node, 'not-enabled', (logger) =>
        logger.warn(
          `could not turn on expiry notifications at ${node} (${message(error)}); managed Redis ` +
            `services often forbid CONFIG SET: set ${SETTING} to include "Ex" in the server's ` +
            `configuration. Until then sessions that Redis expires raise no session.expired`,
        ),
      );
      return { node, flags, enabled: false };
    }
  }
  say(node, 'off', (logger) =>
    logger.warn(
      `${SETTING} at ${node} is "${flags}", without "E" and "x": sessions that Redis expires ` +
        `raise no session.expired. Set it to include "Ex" (CONFIG SET ${SETTING} Ex, or the ` +
        `server's configuration), or give the store expiryEvents: 'enable'`,
    ),
  );
  return { node, flags, enabled: false };
}

async function readFlags(commands: Redis): Promise<string> {
  const reply = (await commands.config('GET', SETTING)) as unknown;
  // [name, value]; an empty reply: the setting is unknown to this server.
  if (!Array.isArray(reply) || typeof reply[1] !== 'string') {
    throw new Error(`unexpected CONFIG GET reply ${JSON.stringify(reply)}`);
  }
  return reply[1];
}

/** The flags with `E` and `x` added, keeping the rest (a server may need `K` or others). */
function withExpiredEvents(flags: string): string {
  let wanted = flags;
  if (!wanted.includes('E')) wanted += 'E';
  if (!wanted.includes('x') && !wanted.includes('A')) wanted += 'x';
  return wanted;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
