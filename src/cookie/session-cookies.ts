import { Inject, Injectable, Logger } from '@nestjs/common';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import {
  appendSetCookie,
  cookieHeader,
  headersSent,
  isSecureRequest,
  setHeader,
  type PlatformRequest,
  type PlatformResponse,
} from '../platform/http-platform.js';
import { CookieSigner } from './cookie-signer.js';
import { readCookie, serializeSessionCookie } from './session-cookie.js';

/**
 * The session id on the wire: in the cookie and/or the header that stands in for it (`idFrom`),
 * signed the same way in both. Reads the verified id of a request; sets or clears it.
 */
@Injectable()
export class SessionCookies {
  private readonly logger = new Logger('SessionModule');
  private readonly signer: CookieSigner;

  constructor(@Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions) {
    this.signer = new CookieSigner(options.secrets);
  }

  /** The session id the request carries, from the first source that has one validly signed. */
  verifiedId(request: PlatformRequest): string | null {
    for (const source of this.options.idFrom) {
      const value =
        source === 'cookie'
          ? readCookie(cookieHeader(request), this.options.cookie.name)
          : headerValue(request, this.options.header);
      const id = value ? this.signer.unsign(value) : null;
      if (id) return id;
    }
    return null;
  }

  /** Whether the session may leave a trace (a cookie, a stored record) for this request. */
  consented(request: PlatformRequest): boolean {
    return this.options.consent === undefined || this.options.consent(request) === true;
  }

  /** Set the cookie to the signed `id`, or clear it (`null`). */
  write(request: PlatformRequest, response: PlatformResponse, id: string | null): void {
    if (headersSent(response)) {
      this.logger.warn(
        'the response was already sent; the session cookie could not be set (call session.commit() before sending)',
      );
      return;
    }
    const { cookie, idFrom } = this.options;
    const value = id === null ? null : this.signer.sign(id);
    if (idFrom.includes('cookie')) {
      const secure = cookie.secure === 'auto' ? isSecureRequest(request) : cookie.secure;
      appendSetCookie(response, serializeSessionCookie(cookie, value, secure));
    }
    // An empty header tells a header client its session ended (as Spring Session does).
    if (idFrom.includes('header')) setHeader(response, this.options.header, value ?? '');
    // A response that carries a session id must never be cached and replayed to someone else.
    setHeader(response, 'Cache-Control', 'no-store');
  }
}

function headerValue(request: PlatformRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
