import { createHmac } from 'node:crypto';

// Jest runs test code in a vm context, where every lookup of a global (`Math`, `Buffer`) goes
// through the context's interceptors: about 50 times slower than in a plain module. The
// generator makes hundreds of such calls per cookie, so it binds them once here (measured: the
// generator took about a third of the fuzz's time before, under 5% after).
const { floor, imul } = Math;
const fromBytes = Buffer.from.bind(Buffer);

/** A small seeded generator (mulberry32), so a failing run replays exactly with its seed. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  int(below: number): number {
    return floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  string(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Characters that are not base64url but do turn up in cookies and attacks on them. */
const JUNK = '.=+/ ;,"\'\\%~!*()[]{}<>?#&|\t';
const UNICODE = ['é', 'ß', 'Ω', '€', '中', '😀', '\u200b', '\ufeff', '\ud800', 'İ', 'ı'];
/** The alphabets `pick` draws single characters from, spread once rather than per pick. */
const BASE64URL_CHARS = [...BASE64URL];
const MUTATIONS = [...BASE64URL, ...JUNK, ...UNICODE];

/**
 * Structure-aware forged values of the session cookie: the right shape with wrong signatures,
 * signatures made with other secrets, truncations and one-character mutations of a real cookie,
 * unicode, percent-encoding, many `sid` pairs, huge values. `cookieHeader()` returns a whole
 * `Cookie` header; none of them carries the real value as the first `sid` pair's value.
 */
export class ForgedCookies {
  private readonly realId: string;
  private readonly realSignature: string;

  constructor(
    private readonly random: SeededRandom,
    private readonly real: string,
    private readonly secret: string,
  ) {
    [this.realId, this.realSignature] = real.split('.');
  }

  /** What a category produced, for the failure message. */
  cookieHeader(): { category: string; header: string } {
    for (;;) {
      const [category, header] = this.candidate();
      if (!carriesRealValue(header, this.real)) return { category, header };
    }
  }

  private candidate(): [string, string] {
    const r = this.random;
    const roll = r.int(14);
    switch (roll) {
      case 0:
        return ['right shape, random signature', `sid=${this.shaped(r.string(BASE64URL, 32))}`];
      case 1:
        return ['real id, random signature', `sid=${this.shaped(this.realId)}`];
      case 2:
        return [
          'real id, signed with another secret',
          `sid=${this.signedWith(this.realId, this.otherSecret())}`,
        ];
      case 3:
        return [
          'random id, signed with another secret',
          `sid=${this.signedWith(r.string(BASE64URL, 32), this.otherSecret())}`,
        ];
      case 4:
        return ['one character of the real cookie changed', `sid=${this.mutated()}`];
      case 5:
        return ['real cookie truncated', `sid=${this.real.slice(0, r.int(this.real.length))}`];
      case 6:
        return ['real cookie with characters glued on', `sid=${this.glued()}`];
      case 7:
        return [
          'real signature, another id',
          `sid=${r.string(BASE64URL, 32)}.${this.realSignature}`,
        ];
      case 8:
        return ['unicode', `sid=${this.unicode()}`];
      case 9:
        return ['percent-encoded', `sid=${this.percentEncoded()}`];
      case 10:
        return ['many sid pairs', this.manyPairs()];
      case 11:
        return ['huge value', `sid=${this.huge()}`];
      case 12:
        return ['quoted / spaced', `sid=${this.quoted()}`];
      default:
        return ['random junk', `sid=${r.string(BASE64URL + JUNK, r.int(120))}`];
    }
  }

  private shaped(id: string): string {
    return `${id}.${this.random.string(BASE64URL, 43)}`;
  }

  private signedWith(id: string, secret: string): string {
    return `${id}.${createHmac('sha256', secret).update(id).digest('base64url')}`;
  }

  /** Near misses of the real secret, and unrelated ones. */
  private otherSecret(): string {
    const r = this.random;
    switch (r.int(5)) {
      case 0:
        return `${this.secret}x`;
      case 1:
        return this.secret.slice(0, -1);
      case 2:
        return this.secret.toUpperCase();
      case 3:
        return '';
      default:
        return r.string(BASE64URL, 1 + r.int(64));
    }
  }

  private mutated(): string {
    const r = this.random;
    for (;;) {
      const at = r.int(this.real.length);
      const replacement = r.pick(MUTATIONS);
      const value = this.real.slice(0, at) + replacement + this.real.slice(at + 1);
      if (value !== this.real) return value;
    }
  }

  private glued(): string {
    const r = this.random;
    const extra = () => r.string(`${BASE64URL}.=`, 1 + r.int(4));
    switch (r.int(3)) {
      case 0:
        return this.real + extra();
      case 1:
        return extra() + this.real;
      default:
        return extra() + this.real + extra();
    }
  }

  private unicode(): string {
    const r = this.random;
    let out = '';
    const length = 1 + r.int(80);
    for (let i = 0; i < length; i++)
      out += r.next() < 0.5 ? r.pick(UNICODE) : r.pick(BASE64URL_CHARS);
    return out;
  }

  private percentEncoded(): string {
    const r = this.random;
    const source = r.next() < 0.5 ? this.mutated() : r.string(BASE64URL + JUNK, 1 + r.int(80));
    let out = '';
    for (const ch of source) {
      const roll = r.next();
      if (roll < 0.3) out += percentOf(ch);
      else if (roll < 0.35) out += r.pick(['%', '%Z', '%ZZ', '%E0%A4', '%00', '%FF']);
      else out += ch;
    }
    return out;
  }

  private manyPairs(): string {
    const r = this.random;
    const pairs: string[] = [];
    const count = 2 + r.int(60);
    for (let i = 0; i < count; i++) {
      const name = r.next() < 0.7 ? 'sid' : r.pick(['SID', 'sid2', ' sid', 'sid ', 'other', '']);
      const value = r.pick([
        () => this.shaped(r.string(BASE64URL, 32)),
        () => this.mutated(),
        () => this.signedWith(this.realId, this.otherSecret()),
        () => r.string(BASE64URL + JUNK, r.int(50)),
      ])();
      pairs.push(`${name}=${value}`);
    }
    return pairs.join(r.pick(['; ', ';', ' ; ', ', ']));
  }

  private huge(): string {
    const r = this.random;
    const length = r.pick([4_097, 16_385, 65_537, 262_145]);
    const base = r.next() < 0.5 ? this.mutated() : this.shaped(r.string(BASE64URL, 32));
    // A random block repeated: building a quarter megabyte one random character at a time would
    // make the generator, not the app, the cost of the run.
    const block = r.string(BASE64URL, 997);
    return base + block.repeat(Math.ceil(length / block.length)).slice(0, length);
  }

  private quoted(): string {
    const r = this.random;
    const value = r.next() < 0.5 ? this.mutated() : this.shaped(r.string(BASE64URL, 32));
    return r.pick([`"${value}"`, ` ${value} `, `"${value}`, `${value}"`, `""`, `"`, ` `]);
  }
}

/**
 * Whether `header` hands over the real cookie as the value of its first `sid` pair, by the
 * reading RFC 6265 gives (pairs split on `;`, whitespace trimmed, one pair of double quotes
 * removed). Such a header is the real cookie, not a forgery, so the generator never emits one.
 */
export function carriesRealValue(header: string, real: string): boolean {
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== 'sid') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    return value === real;
  }
  return false;
}

/** Every byte of `ch` (UTF-8; a lone surrogate as its WTF-8 bytes) as `%XX`. */
function percentOf(ch: string): string {
  const code = ch.charCodeAt(0);
  const bytes =
    code >= 0xd800 && code <= 0xdfff && ch.length === 1
      ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
      : [...fromBytes(ch, 'utf8')];
  return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
