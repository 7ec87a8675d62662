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

/** The session cookie on the wire: the verified id of a request, and setting or clearing it. */
@Injectable()
export class SessionCookies {
  private readonly logger = new Logger('SessionModule');
  private readonly signer: CookieSigner;

  constructor(@Inject(RESOLVED_SESSION_OPTIONS) private readonly options: ResolvedSessionOptions) {
    this.signer = new CookieSigner(options.secrets);
  }

  /** The session id in the request's cookie if its signature is valid, else `null`. */
  verifiedId(request: PlatformRequest): string | null {
    const value = readCookie(cookieHeader(request), this.options.cookie.name);
    return value ? this.signer.unsign(value) : null;
  }

  /** Set the cookie to the signed `id`, or clear it (`null`). */
  write(request: PlatformRequest, response: PlatformResponse, id: string | null): void {
    if (headersSent(response)) {
      this.logger.warn(
        'the response was already sent; the session cookie could not be set (call session.commit() before sending)',
      );
      return;
    }
    const { cookie } = this.options;
    const secure = cookie.secure === 'auto' ? isSecureRequest(request) : cookie.secure;
    const value = id === null ? null : this.signer.sign(id);
    appendSetCookie(response, serializeSessionCookie(cookie, value, secure));
    // A response that carries a session id must never be cached and replayed to someone else.
    setHeader(response, 'Cache-Control', 'no-store');
  }
}
