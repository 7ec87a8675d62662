import type { ResolvedSessionOptions } from '../options/session-options.js';

type CookieOptions = ResolvedSessionOptions['cookie'];

/** The raw value of cookie `name` in a `Cookie` header, without parsing any other cookie. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const prefix = `${name}=`;
  let start = 0;
  while (start < header.length) {
    while (header[start] === ' ') start++;
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    if (header.startsWith(prefix, start)) {
      let value = header.slice(start + prefix.length, end).trim();
      if (value.length > 1 && value.startsWith('"') && value.endsWith('"'))
        value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
  }
  return undefined;
}

/** A `Set-Cookie` value for the session cookie, or one that deletes it (`value` null). */
export function serializeSessionCookie(
  options: CookieOptions,
  value: string | null,
  secure: boolean,
): string {
  const parts = [`${options.name}=${value ?? ''}`, `Path=${options.path}`];
  if (options.domain) parts.push(`Domain=${options.domain}`);
  if (value === null) {
    parts.push('Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  } else if (options.maxAge !== undefined) {
    parts.push(`Max-Age=${Math.floor(options.maxAge / 1000)}`);
  }
  if (options.httpOnly) parts.push('HttpOnly');
  if (secure) parts.push('Secure');
  parts.push(`SameSite=${options.sameSite[0].toUpperCase()}${options.sameSite.slice(1)}`);
  if (options.partitioned) parts.push('Partitioned');
  return parts.join('; ');
}
