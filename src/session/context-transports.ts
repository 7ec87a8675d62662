import type { ExecutionContext } from '@nestjs/common';
import type { PlatformRequest, PlatformResponse } from '../platform/http-platform.js';
import type { RequestSession, SessionServices } from './request-registry.js';

/** The HTTP request (and its response) behind an execution context. */
export interface ContextRequest {
  readonly request: PlatformRequest;
  readonly response: PlatformResponse | undefined;
}

/**
 * How the session reaches the request behind an execution context that is not Nest's `'http'`
 * (a GraphQL resolver is `'graphql'`), and how that request's commit waits for its response. Each
 * kind registers itself from its own folder, so the HTTP code never imports it, and the core
 * loads no package of that kind.
 */
export interface ContextTransport {
  /** The request behind `context`, or `undefined` when there is none (a subscription). */
  requestOf(context: ExecutionContext): ContextRequest | undefined;
  /**
   * A guard reached the session of a handler that uses it (`SessionService.get(context)`): commit
   * it before the response is sent, even if the guard then rejects.
   */
  commitBeforeSend(session: RequestSession, services: SessionServices): void;
  /** Added to the error of a `@Session()` that found no session prepared: the likely cause. */
  readonly unpreparedHint?: string;
}

const transports = new Map<string, ContextTransport>();

export function registerContextTransport(type: string, transport: ContextTransport): void {
  transports.set(type, transport);
}

/** The transport of a context type other than `'http'`, if one is registered. */
export function contextTransport(type: string): ContextTransport | undefined {
  return transports.get(type);
}

/** The request behind any execution context: Nest's HTTP one, or a registered transport's. */
export function requestBehind(context: ExecutionContext): object | undefined {
  const type = context.getType<string>();
  if (type === 'http') return context.switchToHttp().getRequest<object>();
  return transports.get(type)?.requestOf(context)?.request;
}

/** The likely cause of a handler of this context finding no session prepared, if one is known. */
export function unpreparedHint(context: ExecutionContext): string {
  const hint = transports.get(context.getType<string>())?.unpreparedHint;
  return hint ? ` (${hint})` : '';
}
