import {
  DeferredSessionParam,
  markDeferredSessionHandler,
} from '../http/deferred-session-param.js';
import type { SessionServices } from '../session/request-registry.js';
import { recordHandshake } from './gateway-handshakes.js';
import { runGatewayMessage } from './gateway-message.js';
import { toWsException } from './gateway-session-errors.js';

type Method = (this: object, ...args: unknown[]) => unknown;

/**
 * The session services of each gateway instance, so that a handler bound once for its class
 * (the binding is shared by every application that uses the class) runs each message with the
 * services of the application it belongs to.
 */
const servicesByGateway = new WeakMap<object, SessionServices>();

export function registerGatewayInstance(instance: object, services: SessionServices): void {
  servicesByGateway.set(instance, services);
}

/** Functions this module put on gateway prototypes, so a second application does not wrap twice. */
const ours = new WeakSet<object>();

/**
 * Put in place of `prototype[method]` a function of the same name and metadata that resolves the
 * message's `@Session()` parameters (see `DeferredSessionParam`), runs the method, and commits.
 */
export function bindMessageHandler(prototype: object, method: string, gateway: string): void {
  const slots = prototype as Record<string, unknown>;
  const original = slots[method] as Method;
  if (ours.has(original)) return;
  const name = `${gateway}.${method}()`;
  const bound: Method = function (this: object, ...args: unknown[]) {
    const params = deferredParams(args);
    // A direct call (a unit test calling the gateway) goes straight to the method.
    if (params.length === 0) return original.apply(this, args);
    const services = servicesByGateway.get(this);
    if (!services) {
      throw toWsException(
        new Error(
          `${name}: the application running this gateway does not import SessionGatewayModule`,
        ),
      );
    }
    return runGatewayMessage({ services, name, args, params }, (resolved) =>
      original.apply(this, resolved),
    );
  };
  copyFunctionMetadata(original, bound);
  ours.add(bound);
  markDeferredSessionHandler(bound);
  slots[method] = bound;
}

/**
 * Record each client's handshake request as Nest connects it (`handleConnection(client,
 * request)`): the `ws` adapter passes the request only there. The gateway's own
 * `handleConnection`, if any, runs as before.
 */
export function bindConnectionHandler(prototype: object): void {
  const slots = prototype as Record<string, unknown>;
  const original = slots.handleConnection as Method | undefined;
  if (original && ours.has(original)) return;
  const recorder: Method = function (this: object, ...args: unknown[]) {
    recordHandshake(args[0], args[1]);
    return original?.apply(this, args);
  };
  if (original) copyFunctionMetadata(original, recorder);
  else Object.defineProperty(recorder, 'name', { value: 'handleConnection' });
  ours.add(recorder);
  slots.handleConnection = recorder;
}

function deferredParams(args: unknown[]): Array<{ index: number; param: DeferredSessionParam }> {
  const params: Array<{ index: number; param: DeferredSessionParam }> = [];
  args.forEach((arg, index) => {
    if (arg instanceof DeferredSessionParam) params.push({ index, param: arg });
  });
  return params;
}

/** Nest reads a message handler's pattern, guards, pipes and filters from the function. */
function copyFunctionMetadata(from: Method, to: Method): void {
  Object.defineProperty(to, 'name', { value: from.name });
  for (const key of Reflect.getMetadataKeys(from) as unknown[]) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, from), to);
  }
}
