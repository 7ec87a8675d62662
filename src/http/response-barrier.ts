import type { ServerResponse } from 'node:http';

type Headers = Record<string, unknown> | unknown[];

/**
 * Holds a Node response back until `beforeSend` has run, for the one case the route's own commit cannot
 * cover: a guard changed the session and then rejected the request, so the handler, and the
 * commit that follows it, never run. Nest's exception filter then answers; this barrier delays
 * that answer's head and body until the session is committed, adds the cookie the commit set,
 * and lets it go. `beforeSend` gets the status code and may answer with a replacement response
 * (a 503 when the store failed). Installed only on requests whose session a guard reached.
 */
export function holdResponse(
  response: ServerResponse,
  beforeSend: (status: number) => Promise<Replacement | undefined> | undefined,
): void {
  const held: Array<() => void> = [];
  let head: { status: number; rest: unknown[] } | null = null;
  let waiting = false;

  const release = () => {
    // Back to the prototype's methods, then replay in order.
    delete (response as Partial<ServerResponse>).writeHead;
    delete (response as Partial<ServerResponse>).write;
    delete (response as Partial<ServerResponse>).end;
    if (head) response.writeHead(head.status, ...(withCommittedCookies(response, head.rest) as []));
    for (const call of held) call();
  };

  const finish = () => {
    if (waiting) return;
    waiting = true;
    let pending;
    try {
      pending = beforeSend(head?.status ?? response.statusCode);
    } catch {
      pending = undefined;
    }
    if (!pending) return release();
    pending.then(
      (replacement) => {
        if (!replacement) return release();
        delete (response as Partial<ServerResponse>).writeHead;
        delete (response as Partial<ServerResponse>).write;
        delete (response as Partial<ServerResponse>).end;
        for (const name of response.getHeaderNames()) response.removeHeader(name);
        response.writeHead(replacement.status, replacement.headers);
        response.end(replacement.body);
      },
      () => release(),
    );
  };

  response.writeHead = ((status: number, ...rest: unknown[]) => {
    head = { status, rest };
    return response;
  }) as ServerResponse['writeHead'];
  response.write = ((...args: Parameters<ServerResponse['write']>) => {
    held.push(() => response.write(...args));
    return true;
  }) as ServerResponse['write'];
  response.end = ((...args: Parameters<ServerResponse['end']>) => {
    held.push(() => response.end(...args));
    finish();
    return response;
  }) as ServerResponse['end'];
}

/** A response sent instead of the held one. */
export interface Replacement {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * `writeHead(status, headers)` lets its own headers win over `setHeader`'s: a Set-Cookie there
 * (Fastify passes all of its headers this way) would hide the session cookie the commit set.
 */
function withCommittedCookies(response: ServerResponse, rest: unknown[]): unknown[] {
  const ours = response.getHeader('set-cookie');
  if (ours === undefined) return rest;
  const index = rest.findIndex((arg) => typeof arg === 'object' && arg !== null);
  if (index === -1) return rest;
  const headers = rest[index] as Headers;
  const added = Array.isArray(ours) ? ours.map(String) : [String(ours)];
  if (Array.isArray(headers)) {
    const copy = [...headers];
    for (const cookie of added) copy.push('set-cookie', cookie);
    return rest.map((arg, i) => (i === index ? copy : arg));
  }
  const key = Object.keys(headers).find((name) => name.toLowerCase() === 'set-cookie');
  if (key === undefined) return rest;
  const theirs = headers[key];
  const merged = [...(Array.isArray(theirs) ? theirs.map(String) : [String(theirs)]), ...added];
  return rest.map((arg, i) => (i === index ? { ...headers, [key]: merged } : arg));
}
