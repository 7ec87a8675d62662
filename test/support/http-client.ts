/** A response as the tests look at it. */
export interface Reply {
  status: number;
  body: any;
  headers: Headers;
  /** Every Set-Cookie header of the response. */
  setCookies: string[];
}

/**
 * A browser-like client: keeps the session cookie it is given (and drops it when cleared), and
 * sends it back on the next request.
 */
export class Browser {
  cookie: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly cookieName = 'sid',
  ) {}

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; cookie?: string | null } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    const cookie = options.cookie === undefined ? this.cookie : options.cookie;
    if (cookie) headers.cookie = `${this.cookieName}=${cookie}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      redirect: 'manual',
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair.split('=');
      if (name !== this.cookieName) continue;
      const value = rest.join('=');
      this.cookie = /max-age=0/i.test(line) || value === '' ? undefined : value;
    }
    return { status: response.status, body, headers: response.headers, setCookies };
  }

  get(path: string, options?: Parameters<Browser['request']>[2]) {
    return this.request('GET', path, options);
  }

  post(path: string, body?: unknown, options?: Parameters<Browser['request']>[2]) {
    return this.request('POST', path, { ...options, body });
  }

  delete(path: string, options?: Parameters<Browser['request']>[2]) {
    return this.request('DELETE', path, options);
  }
}

/** The session cookie line among a response's Set-Cookie headers. */
export function sessionCookieLine(reply: Reply, name = 'sid'): string | undefined {
  return reply.setCookies.find((line) => line.startsWith(`${name}=`));
}
