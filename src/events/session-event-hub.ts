import { Injectable, Logger } from '@nestjs/common';
import type { SessionEvent } from './session-event.js';

/** Where `@nestjs/event-emitter`'s `EventEmitter2` is, when the application has one. */
interface EventSink {
  emit(event: string, payload: SessionEvent): unknown;
}

/**
 * Delivers life-cycle events to subscribers and to the application's event emitter, after the
 * request's work is done (next turn of the event loop): a listener never delays a response, and
 * one that throws is logged and fails nothing.
 */
@Injectable()
export class SessionEventHub {
  private readonly logger = new Logger('SessionModule');
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private sink: EventSink | undefined;
  private onFirstListener: (() => void) | undefined;

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    this.firstListener();
    return () => this.listeners.delete(listener);
  }

  /** Forward events to `@nestjs/event-emitter` too (found at start-up, when installed). */
  forwardTo(sink: EventSink): void {
    this.sink = sink;
    this.firstListener();
  }

  /**
   * Run `start` once, as soon as anyone listens (now, if someone already does): what costs
   * something to produce events (a store's subscription to Redis) starts only when they are read.
   */
  whenListened(start: () => void): void {
    if (this.listening) start();
    else this.onFirstListener = start;
  }

  /** Whether anyone would receive an event: spares building one that nobody reads. */
  get listening(): boolean {
    return this.listeners.size > 0 || this.sink !== undefined;
  }

  emit(event: SessionEvent): void {
    if (!this.listening) return;
    setImmediate(() => this.deliver(event));
  }

  private firstListener(): void {
    const start = this.onFirstListener;
    this.onFirstListener = undefined;
    start?.();
  }

  private deliver(event: SessionEvent): void {
    for (const listener of this.listeners) this.guard(event, () => listener(event));
    const sink = this.sink;
    if (sink) this.guard(event, () => sink.emit(event.type, event));
  }

  private guard(event: SessionEvent, call: () => unknown): void {
    try {
      const result = call();
      if (result instanceof Promise) result.catch((error: unknown) => this.failed(event, error));
    } catch (error) {
      this.failed(event, error);
    }
  }

  private failed(event: SessionEvent, error: unknown): void {
    this.logger.warn(`a listener of ${event.type} failed (nothing else did): ${String(error)}`);
  }
}
