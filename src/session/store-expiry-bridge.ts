import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { SessionEventHub } from '../events/session-event-hub.js';
import type { StoreExpiry } from '../store/session-expiry.js';
import { SessionStore } from '../store/session-store.js';
import { sessionTag } from './session-tag.js';

/**
 * Turns the store's own expiry reports (`SessionStore.onExpired`) into `session.expired` events.
 * Subscribes to the store only once someone listens to the events, so a store with a cost to
 * watching (Redis: a subscriber connection per node) pays it only for an application that reads
 * them. The store reports its key; the tag is taken from that key, as every tag is (see
 * `sessionTag`), so it matches the tag of the session's other events.
 */
@Injectable()
export class StoreExpiryBridge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('SessionModule');
  private stop: (() => void) | undefined;

  constructor(
    @Inject(SessionStore) private readonly store: SessionStore,
    private readonly events: SessionEventHub,
  ) {}

  onModuleInit(): void {
    this.events.whenListened(() => this.start());
  }

  onApplicationShutdown(): void {
    this.stop?.();
    this.stop = undefined;
  }

  private start(): void {
    if (!this.store.onExpired) return; // a store without reports: expiry seen by requests only
    try {
      this.stop = this.store.onExpired((expiry) => this.announce(expiry));
    } catch (error) {
      // A store that cannot watch must not stop the application: requests still see expiry.
      this.logger.warn(`the store cannot report expired sessions: ${String(error)}`);
    }
  }

  private announce({ key, cause, at }: StoreExpiry): void {
    this.events.emit({
      type: 'session.expired',
      tag: sessionTag(key),
      at,
      cause,
      detectedBy: 'store',
    });
  }
}
