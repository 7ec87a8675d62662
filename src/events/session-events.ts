import { Injectable } from '@nestjs/common';
import { SessionEventHub } from './session-event-hub.js';
import type { SessionEvent } from './session-event.js';

/**
 * Subscribe to session life-cycle events (created, regenerated, destroyed, expired) without
 * `@nestjs/event-emitter`. With it, the same events arrive at `@OnEvent('session.destroyed')`.
 * Listeners run after the response's work and can neither delay nor fail a request.
 */
@Injectable()
export class SessionEvents {
  constructor(private readonly hub: SessionEventHub) {}

  /** Calls `listener` with every event; answers the function that unsubscribes it. */
  subscribe(listener: (event: SessionEvent) => void): () => void {
    return this.hub.subscribe(listener);
  }
}
