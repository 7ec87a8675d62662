import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders, type Server } from 'node:http';
import { Socket } from 'node:net';

export interface InProcessReply {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

/**
 * One request handed to a Node HTTP server's `'request'` listeners (Express's or Fastify's
 * handler, as Nest installed it) without a socket or the HTTP parser: what Fastify's `inject`
 * does, for both platforms. Used where a test sends hundreds of thousands of requests (the cookie
 * fuzz), which over loopback would take minutes. Headers reach the app exactly as given, so
 * values larger than Node's header limit get to the library too.
 */
export function requestInProcess(
  server: Server,
  method: string,
  url: string,
  headers: Record<string, string>,
  payload?: string,
): Promise<InProcessReply> {
  return new Promise((resolve, reject) => {
    const req = new IncomingMessage(new Socket());
    req.method = method;
    req.url = url;
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const all: Record<string, string> = { host: 'localhost', ...headers };
    if (payload !== undefined) all['content-length'] = String(Buffer.byteLength(payload));
    for (const [name, value] of Object.entries(all)) {
      req.headers[name.toLowerCase()] = value;
      req.rawHeaders.push(name, value);
    }
    if (payload !== undefined) req.push(payload);
    req.push(null);

    const res = new ServerResponse(req);
    const chunks: Buffer[] = [];
    const written: OutgoingHttpHeaders = {};
    let status: number | undefined;
    const collect = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      chunks.push(
        Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(
              String(chunk),
              typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
            ),
      );
    };
    // writeHead may carry headers that never pass through setHeader (Fastify sends them so).
    res.writeHead = ((code: number, ...rest: unknown[]) => {
      status = code;
      const given = rest.find((arg) => typeof arg === 'object' && arg !== null);
      if (Array.isArray(given)) {
        for (let i = 0; i + 1 < given.length; i += 2)
          written[String(given[i]).toLowerCase()] = given[i + 1] as string;
      } else if (given) {
        for (const [name, value] of Object.entries(given)) written[name.toLowerCase()] = value;
      }
      return res;
    }) as typeof res.writeHead;
    res.write = ((chunk: unknown, encoding?: unknown) => {
      collect(chunk, encoding);
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: unknown, encoding?: unknown) => {
      collect(chunk, encoding);
      resolve({
        status: status ?? res.statusCode,
        headers: { ...res.getHeaders(), ...written },
        body: Buffer.concat(chunks).toString('utf8'),
      });
      return res;
    }) as typeof res.end;
    try {
      server.emit('request', req, res);
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
