import { describe, expect, it } from '@jest/globals';
import {
  checkedOwner,
  checkedUserId,
  MAX_USER_INFO_BYTES,
} from '../../src/session/session-owner-input.js';

describe('setUser input', () => {
  it('takes a user id and a JSON object, copied', () => {
    const info = { agent: 'Firefox', nested: { ip: '10.0.0.1' } };
    const owner = checkedOwner('ada', info);
    expect(owner).toEqual({ userId: 'ada', info });
    info.nested.ip = 'changed';
    expect(owner.info).toEqual({ agent: 'Firefox', nested: { ip: '10.0.0.1' } });
    expect(checkedOwner('ada')).toEqual({ userId: 'ada', info: {} });
  });

  it.each([
    ['', /non-empty string/],
    [42, /non-empty string/],
    [null, /non-empty string/],
    ['x'.repeat(257), /longer than 256 characters/],
    ['a\u0000b', /NUL character/],
    ['\ud800', /lone surrogate/],
  ])('refuses the user id %j with a clear error', (userId, message) => {
    expect(() => checkedOwner(userId)).toThrow(message);
    expect(() => checkedUserId(userId, 'SessionService.listForUser(userId)')).toThrow(
      /^SessionService\.listForUser\(userId\): /,
    );
  });

  it.each([
    [[1, 2], /plain object/],
    ['text', /plain object/],
    [null, /plain object/],
    [{ big: 1n }, /not JSON-serialisable/],
    [{ nul: 'a\u0000' }, /NUL character/],
    [{ big: 'x'.repeat(MAX_USER_INFO_BYTES) }, /over the 4096-byte limit/],
  ])('refuses the info %#', (info, message) => {
    expect(() => checkedOwner('ada', info)).toThrow(message);
  });
});
