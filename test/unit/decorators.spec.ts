import { describe, expect, it } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { Session, SessionSchema } from '../../src/index.js';

interface NotAClass {
  x: number;
}

describe('@Session()', () => {
  it('fails at start-up, naming the handler, for a parameter that is neither a schema nor the handle', () => {
    expect(() => {
      @Controller()
      class BadController {
        @Get()
        view(@Session() value: NotAClass) {
          return value;
        }
      }
      return BadController;
    }).toThrow(
      /BadController\.view\(\) parameter 0: type Object is neither a @SessionSchema class nor SessionHandle/,
    );
  });

  it('accepts an explicit schema class where there is no type metadata', () => {
    @SessionSchema('explicit')
    class ExplicitSession {
      n = 1;
    }
    expect(() => {
      class Fine {
        view(@Session(ExplicitSession) value: NotAClass) {
          return value;
        }
      }
      return Fine;
    }).not.toThrow();
  });
});

describe('@SessionSchema()', () => {
  it('refuses a key already bound to another class', () => {
    @SessionSchema('taken')
    class First {}
    expect(() => {
      @SessionSchema('taken')
      class Second {}
      return [First, Second];
    }).toThrow(/key "taken" is already used by First/);
  });

  it('refuses reserved and empty keys', () => {
    expect(() => SessionSchema('$internal')(class A {})).toThrow(/not starting with "\$"/);
    expect(() => SessionSchema('')(class B {})).toThrow(/non-empty/);
  });
});
