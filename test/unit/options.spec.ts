import { describe, expect, it } from '@jest/globals';
import { resolveSessionOptions } from '../../src/options/resolve-session-options.js';
import type { SessionModuleOptions } from '../../src/index.js';

const secret = 's'.repeat(32);

describe('resolveSessionOptions', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveSessionOptions({ secret });
    expect(resolved.cookie).toEqual({
      name: 'sid',
      path: '/',
      domain: undefined,
      httpOnly: true,
      secure: 'auto',
      sameSite: 'lax',
      maxAge: undefined,
      partitioned: false,
    });
    expect(resolved.idleTimeout).toBe(20 * 60_000);
    expect(resolved.absoluteTimeout).toBe(24 * 60 * 60_000);
    expect(resolved.touchAfter).toBe(2 * 60_000);
    expect(resolved.secrets).toEqual([secret]);
  });

  it('absoluteTimeout: false turns the absolute timeout off', () => {
    expect(resolveSessionOptions({ secret, absoluteTimeout: false }).absoluteTimeout).toBe(false);
  });

  const bad: Array<[string, Partial<SessionModuleOptions> | undefined, RegExp]> = [
    ['a missing secret', {}, /"secret" is required/],
    ['a short secret', { secret: 'short' }, /"secret" must be at least 32 characters/],
    ['a short rotated secret', { secret: [secret, 'short'] }, /"secret\[1\]" must be at least 32/],
    ['an empty secret list', { secret: [] }, /"secret" is required/],
    ['a negative idle timeout', { secret, idleTimeout: -1 }, /"idleTimeout" must be a positive/],
    ['a negative absolute timeout', { secret, absoluteTimeout: -5 }, /"absoluteTimeout"/],
    [
      'touchAfter past the idle timeout',
      { secret, idleTimeout: 1000, touchAfter: 2000 },
      /"touchAfter"/,
    ],
    [
      'an unknown sameSite',
      { secret, cookie: { sameSite: 'sometimes' as never } },
      /"cookie.sameSite" must be one of lax, strict, none/,
    ],
    ['a bad secure policy', { secret, cookie: { secure: 'yes' as never } }, /"cookie.secure"/],
    ['a bad cookie name', { secret, cookie: { name: 'a b' } }, /"cookie.name"/],
    ['an unknown id source', { secret, idFrom: ['query' as never] }, /"idFrom"/],
    ['no id source', { secret, idFrom: [] }, /"idFrom"/],
    ['a bad header name', { secret, header: 'x session' }, /"header"/],
    ['a consent that is not a function', { secret, consent: true as never }, /"consent"/],
    ['a non-boolean everyRoute', { secret, everyRoute: 'yes' as never }, /"everyRoute"/],
    ['a bad path', { secret, cookie: { path: 'nope' } }, /"cookie.path"/],
    ['a negative maxAge', { secret, cookie: { maxAge: -1 } }, /"cookie.maxAge"/],
    [
      'a bad onInvalidStoredData',
      { secret, onInvalidStoredData: 'ignore' as never },
      /"onInvalidStoredData"/,
    ],
    ['no options at all', undefined, /"options"/],
  ];
  it.each(bad)('%s fails with a message naming the option', (_case, options, message) => {
    expect(() => resolveSessionOptions(options as SessionModuleOptions)).toThrow(message);
  });
});
