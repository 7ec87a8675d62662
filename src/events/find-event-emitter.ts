import type { ModuleRef } from '@nestjs/core';

interface EventSink {
  emit(event: string, payload: unknown): unknown;
}

/**
 * The application's `EventEmitter2` when it imports `EventEmitterModule` from
 * `@nestjs/event-emitter` (an optional peer: loaded only here, at start-up, and only if
 * installed), else `undefined`.
 */
export async function findEventEmitter(moduleRef: ModuleRef): Promise<EventSink | undefined> {
  let token: unknown;
  try {
    token = (await import('@nestjs/event-emitter')).EventEmitter2;
  } catch {
    return undefined; // not installed
  }
  try {
    return moduleRef.get(token as new () => EventSink, { strict: false });
  } catch {
    return undefined; // installed, but the application does not use it
  }
}
