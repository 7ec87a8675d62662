import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { schemaOf, type SessionSchemaClass } from '../schema/session-schema.decorator.js';
import { SessionHandle } from '../session/session-handle.js';
import { DeferredSessionParam, hasDeferredSessionResolver } from './deferred-session-param.js';
import { appendMethodMetadata, SESSION_PARAMS } from './route-metadata.js';
import type { SessionParamSpec } from './route-plan.js';
import { injectFromSession } from './route-session.js';

export interface SessionParamOptions {
  /** The route only reads the session: it never writes it and never waits for a session lock. */
  readonly?: boolean;
}

const injectSession = createParamDecorator((spec: SessionParamSpec, context: ExecutionContext) =>
  context.getType() === 'ws'
    ? deferredParam(spec, context)
    : injectFromSession(context, '@Session()', (session) =>
        spec.schema ? session.state.slots.get(spec.schema.key)?.value : session.handle,
      ),
);

/** A gateway's message: its binder loads the session (see `DeferredSessionParam`). */
function deferredParam(spec: SessionParamSpec, context: ExecutionContext): DeferredSessionParam {
  if (!hasDeferredSessionResolver(context.getHandler())) {
    const where = `${context.getClass().name}.${context.getHandler().name}()`;
    throw new Error(
      `@Session() in ${where}: WebSocket gateways need SessionGatewayModule ` +
        `(import it from 'nestjs-typed-session/gateway' into the application)`,
    );
  }
  // [client, data, pattern]: the client is the first argument of a gateway's context.
  return new DeferredSessionParam(spec, context.getArgByIndex<object>(0));
}

/**
 * Injects the session. The parameter's type picks what: a `@SessionSchema` class gets a
 * validated instance of it (its defaults when the session has none), `SessionHandle` gets the
 * handle. Name the class explicitly (`@Session(CartSession)`) where there is no type metadata
 * (esbuild, Vite, an interface type). `@Session({ readonly: true })` marks the route a reader.
 */
export function Session(
  schemaOrOptions?: SessionSchemaClass | typeof SessionHandle | SessionParamOptions,
  options?: SessionParamOptions,
): ParameterDecorator {
  return (target, propertyKey, index) => {
    const explicit = typeof schemaOrOptions === 'function' ? schemaOrOptions : undefined;
    const settings = (typeof schemaOrOptions === 'object' ? schemaOrOptions : options) ?? {};
    const owner = typeof target === 'function' ? target.name : target.constructor.name;
    const where = `${owner}.${String(propertyKey)}() parameter ${index}`;
    if (propertyKey === undefined) {
      throw new Error(`@Session() on ${where}: only route handler parameters can be injected`);
    }
    const declared = (
      Reflect.getMetadata('design:paramtypes', target, propertyKey) as unknown[] | undefined
    )?.[index];
    const type = explicit ?? declared;
    const schema = schemaOf(type) ?? null;
    if (!schema && type !== SessionHandle) {
      const name = typeof type === 'function' ? type.name : String(type);
      throw new Error(
        `@Session() on ${where}: type ${name} is neither a @SessionSchema class nor SessionHandle; ` +
          `declare one of them or name it: @Session(MySchema)`,
      );
    }
    const spec: SessionParamSpec = { schema, readonly: settings.readonly === true };
    appendMethodMetadata(SESSION_PARAMS, spec, target, propertyKey);
    injectSession(spec)(target, propertyKey, index);
  };
}
