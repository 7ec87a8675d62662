import type { PlatformRequest } from '../platform/http-platform.js';

/**
 * The HTTP request that opened each socket (its cookie is the session's), by client. socket.io
 * keeps it on the socket (`socket.request`); a `ws` WebSocket does not, so it is recorded when
 * Nest hands the gateway the connection (`handleConnection(client, request)`).
 */
const handshakes = new WeakMap<object, PlatformRequest>();

export function recordHandshake(client: unknown, request: unknown): void {
  if (isObject(client) && isRequest(request)) handshakes.set(client, request);
}

/** The handshake request of a client, or `undefined` when none is known. */
export function handshakeOf(client: object): PlatformRequest | undefined {
  const recorded = handshakes.get(client);
  if (recorded) return recorded;
  const socketIoRequest = (client as { request?: unknown }).request;
  return isRequest(socketIoRequest) ? socketIoRequest : undefined;
}

/** Each client's verified cookie id: its handshake cannot change, so it is checked once. */
const cookieIds = new WeakMap<object, string | null>();

export function cachedCookieId(client: object, verify: () => string | null): string | null {
  let id = cookieIds.get(client);
  if (id === undefined) {
    id = verify();
    cookieIds.set(client, id);
  }
  return id;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isRequest(value: unknown): value is PlatformRequest {
  return isObject(value) && isObject((value as { headers?: unknown }).headers);
}
