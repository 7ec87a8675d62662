/**
 * The few things the module needs from a request and a response, working on Express, Fastify
 * and plain Node objects alike. Fastify hands guards and parameter decorators its wrapped request (`.raw` is
 * Node's), Express hands the Node object itself.
 */

interface HeaderBag {
  headers: Record<string, string | string[] | undefined>;
}

export type PlatformRequest = HeaderBag & {
  raw?: object;
  /** Express: `true` over HTTPS, honouring `trust proxy`. */
  secure?: unknown;
  /** Fastify: `'https'` over HTTPS, honouring `trustProxy`. */
  protocol?: unknown;
  socket?: { encrypted?: unknown };
};

export interface PlatformResponse {
  raw?: { headersSent?: boolean };
  headersSent?: boolean;
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string | string[]) => unknown;
  getHeader?: (name: string) => unknown;
}

/** The object per-request state is keyed by: the same for guards, interceptors and pipes. */
export function requestKey(request: object): object {
  return (request as { raw?: object }).raw ?? request;
}

export function cookieHeader(request: PlatformRequest): string | undefined {
  const header = request.headers.cookie;
  return Array.isArray(header) ? header.join('; ') : header;
}

/** Whether the request came over HTTPS, as the platform (and its proxy trust setting) sees it. */
export function isSecureRequest(request: PlatformRequest): boolean {
  if (typeof request.secure === 'boolean') return request.secure;
  if (typeof request.protocol === 'string') return request.protocol === 'https';
  return request.socket?.encrypted === true;
}

export function headersSent(response: PlatformResponse): boolean {
  // Node's own response (Express) answers first: looking up a `raw` it does not have walks its
  // long prototype chain on every request. Fastify's reply has no `headersSent` of its own.
  const own = response.headersSent;
  return typeof own === 'boolean' ? own : response.raw?.headersSent === true;
}

/**
 * Add a `Set-Cookie` header without dropping ones the handler or other code set. Node's own
 * response (Express's is one) is asked first, by a method Fastify's reply does not have, so
 * that Express never looks up a `raw` it does not have (a walk up its long prototype chain).
 */
export function appendSetCookie(response: PlatformResponse, cookie: string): void {
  if (typeof response.setHeader === 'function') {
    const existing = response.getHeader?.('set-cookie');
    if (existing === undefined) response.setHeader('set-cookie', cookie);
    else {
      const list = Array.isArray(existing) ? existing.map(String) : [String(existing)];
      response.setHeader('set-cookie', [...list, cookie]);
    }
  } else if (typeof response.header === 'function') {
    response.header('set-cookie', cookie); // Fastify accumulates set-cookie values
  }
}

export function setHeader(response: PlatformResponse, name: string, value: string): void {
  if (typeof response.setHeader === 'function') response.setHeader(name, value);
  else if (typeof response.header === 'function') response.header(name, value);
}
