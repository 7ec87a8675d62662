import { describe, expect, it } from '@jest/globals';
import { Type } from 'class-transformer';
import {
  IsDate,
  IsInt,
  IsString,
  Validate,
  ValidateNested,
  ValidatorConstraint,
} from 'class-validator';
import { cloneInstance } from '../../src/schema/instance-clone.js';
import { SchemaCodec, type Checked, type Decoded } from '../../src/schema/schema-codec.js';
import { schemaOf, SessionSchema } from '../../src/schema/session-schema.decorator.js';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from '../../src/schema/json-depth.js';

class Line {
  @IsInt() n = 0;
}

@SessionSchema('codec-test')
class CodecSession {
  @ValidateNested({ each: true }) @Type(() => Line) lines: Line[] = [];
  @IsDate() @Type(() => Date) at = new Date(0);
}

@SessionSchema({ key: 'codec-strip', unknownProperties: 'strip' })
class StripSession {
  @ValidateNested({ each: true }) @Type(() => Line) lines: Line[] = [];
}

@ValidatorConstraint({ name: 'notEmptyName' })
class NotEmptyConstraint {
  validate(value: unknown): boolean {
    return typeof value === 'string' && value.length > 0;
  }
}

/** A custom constraint: the compiler does not know it, so this schema uses class-validator. */
@SessionSchema('codec-custom')
class CustomSession {
  @IsString() @Validate(NotEmptyConstraint) name = 'x';
}

const schema = schemaOf(CodecSession)!;
const strip = schemaOf(StripSession)!;
const custom = schemaOf(CustomSession)!;
const text = '{"lines":[{"n":1},{"n":2}],"at":"2026-01-02T03:04:05.000Z"}';

function sync<T>(value: T | Promise<T>): T {
  if (value instanceof Promise) throw new Error('expected a synchronous result');
  return value;
}

function fields(result: Decoded | Checked): string[] {
  return result.ok ? [] : result.details.map((d) => `${d.field}:${d.constraints.join('+')}`);
}

describe('SchemaCodec.decode', () => {
  it('decodes a compiled schema synchronously into class instances', () => {
    const decoded = sync(new SchemaCodec().decode<CodecSession>(schema, text));
    expect(decoded.ok).toBe(true);
    const value = (decoded as { value: CodecSession }).value;
    expect(value).toBeInstanceOf(CodecSession);
    expect(value.lines[1]).toBeInstanceOf(Line);
    expect(value.at).toBeInstanceOf(Date);
    expect(JSON.stringify(value)).toBe(text);
  });

  it('reports failures with namespace paths and constraint names', () => {
    const bad = '{"lines":[{"n":"x"}],"at":"2026-01-02T03:04:05.000Z"}';
    expect(fields(sync(new SchemaCodec().decode(schema, bad)))).toEqual([
      'codec-test.lines.0.n:isInt',
    ]);
  });

  it('refuses undeclared properties at any nesting level, naming each', () => {
    const extra = '{"lines":[{"n":1,"isAdmin":true}],"at":"2026-01-02T03:04:05.000Z","role":"a"}';
    expect(fields(sync(new SchemaCodec().decode(schema, extra)))).toEqual([
      'codec-test.role:whitelistValidation',
      'codec-test.lines.0.isAdmin:whitelistValidation',
    ]);
  });

  it('strips undeclared properties when the schema says so', () => {
    const extra = '{"lines":[{"n":1,"isAdmin":true}],"role":"a"}';
    const decoded = sync(new SchemaCodec().decode<StripSession>(strip, extra));
    expect(decoded.ok && JSON.stringify(decoded.value)).toBe('{"lines":[{"n":1}]}');
  });

  it.each(['"garbage"', '42', 'null', '[{"n":1}]', 'true'])(
    'refuses %s: a namespace is a JSON object',
    (stored) => {
      expect(fields(sync(new SchemaCodec().decode(schema, stored)))).toEqual([
        'codec-test:isObject',
      ]);
    },
  );

  it('refuses text that is not JSON', () => {
    expect(fields(sync(new SchemaCodec().decode(schema, '{"lines":')))).toEqual([
      'codec-test:isJson',
    ]);
  });

  it('refuses data nested 20,000 levels deep without recursing into it', () => {
    const deep = '{"lines":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}';
    expect(fields(sync(new SchemaCodec().decode(schema, deep)))).toEqual(['codec-test:maxDepth']);
  });

  it('falls back to class-validator (asynchronously) for a custom constraint', async () => {
    const codec = new SchemaCodec();
    expect(codec.isSynchronous(custom)).toBe(false);
    const pending = codec.decode(custom, '{"name":"","extra":1}');
    expect(pending).toBeInstanceOf(Promise);
    expect(fields(await pending)).toEqual([
      'codec-custom.extra:whitelistValidation',
      'codec-custom.name:notEmptyName',
    ]);
  });

  it('hands out a fresh deep copy each time, so a handler cannot change what is cached', () => {
    const codec = new SchemaCodec();
    const first = sync(codec.decode<CodecSession>(schema, text));
    if (!first.ok) throw new Error('expected valid');
    first.value.lines[0].n = 42;
    first.value.at.setTime(0);
    const second = codec.known<CodecSession>(schema, text)!;
    expect(second.lines.map((line) => line.n)).toEqual([1, 2]);
    expect(second.at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(second.lines[0]).toBeInstanceOf(Line);
  });

  it('does not remember a text that failed', () => {
    const codec = new SchemaCodec();
    const bad = '{"lines":[{"n":"x"}]}';
    sync(codec.decode(schema, bad));
    expect(codec.known(schema, bad)).toBeUndefined();
  });
});

describe('SchemaCodec.check', () => {
  it('serialises once and remembers the text for the next read', () => {
    const codec = new SchemaCodec();
    const value = new CodecSession();
    value.lines.push({ n: 3 });
    const checked = sync(codec.check(schema, value));
    expect(checked).toEqual({ ok: true, text: JSON.stringify(value) });
    expect(codec.known<CodecSession>(schema, JSON.stringify(value))?.lines[0]).toBeInstanceOf(Line);
  });

  it('validates plain objects a handler pushed as their declared class', () => {
    const value = new CodecSession();
    value.lines.push({ n: 'x' } as unknown as Line);
    expect(fields(sync(new SchemaCodec().check(schema, value)))).toEqual([
      'codec-test.lines.0.n:isInt',
    ]);
  });

  it('refuses a property added to the instance, naming it', () => {
    const value = Object.assign(new CodecSession(), { isRoot: true });
    const checked = sync(new SchemaCodec().check(schema, value));
    expect(checked.ok ? [] : checked.failures).toEqual([
      { field: 'codec-test.isRoot', messages: ['property isRoot should not exist'] },
    ]);
  });

  it('stores the stripped text when the schema strips', () => {
    const value = Object.assign(new StripSession(), { isRoot: true });
    expect(sync(new SchemaCodec().check(strip, value))).toEqual({
      ok: true,
      text: '{"lines":[]}',
    });
  });

  it.each([['garbage'], [42], [null], [[1]], [true]])(
    'refuses %j as a namespace value',
    (value) => {
      expect(fields(sync(new SchemaCodec().check(schema, value)))).toEqual(['codec-test:isObject']);
    },
  );
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only', () => {
    expect(nestsDeeperThan('[[[]]]', 2)).toBe(true);
    expect(nestsDeeperThan('[[]]', 2)).toBe(false);
    const quoted = JSON.stringify({ s: '['.repeat(200) + '\\"[' });
    expect(nestsDeeperThan(quoted, MAX_NESTING_DEPTH)).toBe(false);
  });
});

describe('cloneInstance', () => {
  it('rebuilds class instances, arrays, plain objects and dates, sharing nothing', () => {
    const source = new CodecSession();
    source.lines = [Object.assign(new Line(), { n: 5 })];
    const copy = cloneInstance(source);
    expect(copy).toEqual(source);
    expect(copy).toBeInstanceOf(CodecSession);
    expect(copy.lines[0]).toBeInstanceOf(Line);
    expect(copy.lines).not.toBe(source.lines);
    expect(copy.at).not.toBe(source.at);
  });
});
