import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { appendMethodMetadata, SESSION_PARAMS } from './route-metadata.js';
import type { SessionParamSpec } from './route-plan.js';
import { injectFromSession } from './route-session.js';

const takeFlash = createParamDecorator((key: string, context: ExecutionContext) =>
  injectFromSession(context, '@Flash()', (session) => session.handle.takeFlash(key)),
);

/**
 * Injects the flash message under `key` that an earlier request left with
 * `session.flash(key, value)`, and removes it: a reload does not show it again. `undefined`
 * when there is none. Marks the route as one that uses the session.
 */
export function Flash(key: string): ParameterDecorator {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('@Flash(key): key must be a non-empty string');
  }
  return (target, propertyKey, index) => {
    if (propertyKey === undefined) {
      throw new Error('@Flash() can only inject route handler parameters');
    }
    const spec: SessionParamSpec = { schema: null, readonly: false };
    appendMethodMetadata(SESSION_PARAMS, spec, target, propertyKey);
    takeFlash(key)(target, propertyKey, index);
  };
}
