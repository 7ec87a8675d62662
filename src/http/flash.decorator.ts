import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { flashSchemaOf, type FlashSchemaClass } from '../flash/flash-schema.decorator.js';
import { appendMethodMetadata, SESSION_PARAMS } from './route-metadata.js';
import type { SessionParamSpec } from './route-plan.js';
import { injectFromSession } from './route-session.js';

const takeFlash = createParamDecorator(
  (keyOrType: string | FlashSchemaClass, context: ExecutionContext) =>
    injectFromSession(context, '@Flash()', (session) =>
      typeof keyOrType === 'string'
        ? session.handle.takeFlash(keyOrType)
        : session.handle.takeFlash(keyOrType),
    ),
);

/**
 * Injects the flash message that an earlier request left with `session.flash(...)`, and removes
 * it: a reload does not show it again. `undefined` when there is none. `@Flash('notice')` names
 * the key; `@Flash(NoticeFlash)` names a `@FlashSchema` class and injects a validated instance
 * of it (a stored message that fails the schema is dropped with a logged warning). Marks the
 * route as one that uses the session.
 */
export function Flash(keyOrType: string | FlashSchemaClass): ParameterDecorator {
  if (typeof keyOrType === 'function') {
    if (!flashSchemaOf(keyOrType)) {
      throw new TypeError(
        `@Flash(${keyOrType.name}): ${keyOrType.name} is not a @FlashSchema class`,
      );
    }
  } else if (typeof keyOrType !== 'string' || keyOrType.length === 0) {
    throw new TypeError('@Flash(key): key must be a non-empty string or a @FlashSchema class');
  }
  return (target, propertyKey, index) => {
    if (propertyKey === undefined) {
      throw new Error('@Flash() can only inject route handler parameters');
    }
    const spec: SessionParamSpec = { schema: null, readonly: false };
    appendMethodMetadata(SESSION_PARAMS, spec, target, propertyKey);
    takeFlash(keyOrType)(target, propertyKey, index);
  };
}
