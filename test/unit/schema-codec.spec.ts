import { describe, expect, it } from '@jest/globals';
import { Type } from 'class-transformer';
import { IsDate, IsInt, ValidateNested } from 'class-validator';
import { cloneInstance } from '../../src/schema/instance-clone.js';
import { SchemaCodec } from '../../src/schema/schema-codec.js';
import { schemaOf, SessionSchema } from '../../src/schema/session-schema.decorator.js';

class Line {
  @IsInt() n = 0;
}

@SessionSchema('codec-test')
class CodecSession {
  @ValidateNested({ each: true }) @Type(() => Line) lines: Line[] = [];
  @IsDate() @Type(() => Date) at = new Date(0);
}

const schema = schemaOf(CodecSession)!;
const text = '{"lines":[{"n":1},{"n":2}],"at":"2026-01-02T03:04:05.000Z"}';

describe('SchemaCodec', () => {
  it('knows nothing of a text until it has validated it', async () => {
    const codec = new SchemaCodec();
    expect(codec.known(schema, text)).toBeUndefined();
    const instance = codec.hydrate<CodecSession>(schema, JSON.parse(text));
    expect(await codec.check(schema, instance, text)).toEqual([]);
    expect(codec.known(schema, text)).toBeInstanceOf(CodecSession);
  });

  it('does not remember a text that failed validation', async () => {
    const codec = new SchemaCodec();
    const bad = '{"lines":[{"n":"x"}],"at":"2026-01-02T03:04:05.000Z"}';
    const failures = await codec.check(schema, codec.hydrate(schema, JSON.parse(bad)), bad);
    expect(failures.map((failure) => failure.field)).toEqual(['codec-test.lines.0.n']);
    expect(codec.known(schema, bad)).toBeUndefined();
  });

  it('hands out a fresh deep copy each time, so a handler cannot change what is cached', async () => {
    const codec = new SchemaCodec();
    const instance = codec.hydrate<CodecSession>(schema, JSON.parse(text));
    await codec.check(schema, instance, text);
    instance.lines.push({ n: 99 }); // the instance that was checked is not the cached one
    const first = codec.known<CodecSession>(schema, text)!;
    first.lines[0].n = 42;
    first.at.setTime(0);
    const second = codec.known<CodecSession>(schema, text)!;
    expect(second.lines.map((line) => line.n)).toEqual([1, 2]);
    expect(second.at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(second.lines[0]).toBeInstanceOf(Line);
    expect(JSON.stringify(second)).toBe(text);
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
    const plain = { a: [1, { b: null }] };
    expect(cloneInstance(plain)).toEqual(plain);
    expect(cloneInstance(plain).a).not.toBe(plain.a);
  });
});
