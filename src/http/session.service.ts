import { Injectable, type ExecutionContext } from '@nestjs/common';
import type { PlatformRequest, PlatformResponse } from './http-platform.js';
import { requestSessionFor } from '../session/request-sessions.js';
import type { SessionHandle } from '../session/session-handle.js';
import { SessionEngine } from '../session/session-engine.js';

/**
 * The session from anywhere that has the request: a guard, a pipe, a provider. It is the same
 * handle the route's `@Session()` gets, and the interceptor commits it.
 */
@Injectable()
export class SessionService {
  constructor(private readonly engine: SessionEngine) {}

  /** The request's session, loaded. Pass the `ExecutionContext` where there is one. */
  async get(contextOrRequest: ExecutionContext | object): Promise<SessionHandle> {
    const [request, response] = isExecutionContext(contextOrRequest)
      ? [
          contextOrRequest.switchToHttp().getRequest<PlatformRequest>(),
          contextOrRequest.switchToHttp().getResponse<PlatformResponse>(),
        ]
      : [contextOrRequest as PlatformRequest, undefined];
    return requestSessionFor(this.engine, request, response).ready();
  }
}

function isExecutionContext(value: object): value is ExecutionContext {
  return typeof (value as ExecutionContext).switchToHttp === 'function';
}
