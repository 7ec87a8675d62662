import { concat, concatMap, defer, ignoreElements, isObservable, type Observable } from 'rxjs';
import { DeferredSessionParam } from '../http/deferred-session-param.js';
import type { SessionServices } from '../session/request-registry.js';
import { RequestSessionHandle } from '../session/request-session-handle.js';
import { SessionState } from '../session/session-state.js';
import { cachedCookieId, handshakeOf } from './gateway-handshakes.js';
import { regenerateRefused, sessionNotStarted, toWsException } from './gateway-session-errors.js';

/** One message to a gateway handler that has `@Session()` parameters. */
export interface GatewayMessage {
  readonly services: SessionServices;
  /** `Gateway.method()`, for messages. */
  readonly name: string;
  readonly args: unknown[];
  readonly params: ReadonlyArray<{ index: number; param: DeferredSessionParam }>;
}

/**
 * Run a handler with the session of its message: read fresh from the store for this message (so
 * a logout over HTTP is seen by the very next message), committed after the handler and before
 * its result is sent (the ack, or the emitted event). A fault of the session is a `WsException`;
 * an error of the handler itself commits nothing and goes on as it was thrown.
 */
export async function runGatewayMessage(
  message: GatewayMessage,
  method: (args: unknown[]) => unknown,
): Promise<unknown> {
  const { services, name, args, params } = message;
  const client = params[0].param.client;
  const request = handshakeOf(client);
  if (!request) {
    throw toWsException(
      new Error(`${name}: the handshake of this socket is unknown, so its session cannot be read`),
    );
  }
  const state = new SessionState(request, undefined);
  state.commits = true;
  state.route = `WS ${name}`;
  state.readonly = params.some(({ param }) => param.spec.readonly);
  state.verifiedCookieId = cachedCookieId(client, () => services.loader.cookieId(state));
  const handle = new RequestSessionHandle(state, services.loader, services.committer);
  try {
    await services.loader.ready(state);
    for (const { index, param } of params) {
      const schema = param.spec.schema;
      if (!schema) {
        args[index] = handle;
        continue;
      }
      if (!services.loader.materializeKnown(state, schema)) {
        await services.loader.materialize(state, schema);
      }
      args[index] = state.slots.get(schema.key)?.value;
    }
  } catch (error) {
    throw toWsException(error);
  }
  const result = await method(args);
  if (isObservable(result)) return commitEach(result, services, state, name);
  await commit(services, state, name);
  return result;
}

/**
 * A handler's stream: commit before each value goes out, so every value is sent saved, and once
 * more when it completes, so a change followed by no value is not dropped.
 */
function commitEach(
  source: Observable<unknown>,
  services: SessionServices,
  state: SessionState,
  name: string,
): Observable<unknown> {
  return concat(
    source.pipe(
      concatMap(async (value) => {
        await commit(services, state, name);
        return value;
      }),
    ),
    defer(() => commit(services, state, name)).pipe(ignoreElements()),
  );
}

/** The one commit function, refusing what a socket cannot finish: a new session, a new id. */
async function commit(services: SessionServices, state: SessionState, name: string): Promise<void> {
  if (state.regeneratedFrom !== null) throw regenerateRefused(name);
  if (state.isNew && !state.readonly && hasChanges(state)) throw sessionNotStarted(name);
  try {
    await services.committer.commit(state);
  } catch (error) {
    throw toWsException(error);
  }
}

function hasChanges(state: SessionState): boolean {
  const change = state.pendingChange(false);
  return Object.keys(change.set).length + change.remove.length > 0;
}
