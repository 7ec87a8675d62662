// A browser's cookie jar in one function, for the bench's clients (socket and CPU modes).

/** `name=value` pairs of a Cookie header, updated with Set-Cookie headers as a browser would. */
export function mergeCookies(cookieHeader, setCookieHeaders) {
  if (setCookieHeaders.length === 0) return cookieHeader;
  const jar = new Map(
    cookieHeader
      ? cookieHeader.split('; ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair])
      : [],
  );
  for (const header of setCookieHeaders) {
    const pair = header.split(';')[0].trim();
    const name = pair.slice(0, pair.indexOf('='));
    const expired = /expires=Thu, 01 Jan 1970/i.test(header) || /max-age=0\b/i.test(header);
    if (expired || pair.endsWith('=')) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join('; ');
}
