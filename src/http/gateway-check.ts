import type { Type } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { hasDeferredSessionResolver } from './deferred-session-param.js';
import { readMethodMetadata, SESSION_PARAMS } from './route-metadata.js';

/** `@nestjs/websockets`' metadata keys, read without loading the package (an optional peer). */
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';

/**
 * Gateway handlers with a `@Session()` parameter that nothing binds (the application did not
 * import `SessionGatewayModule`): they would receive a placeholder instead of the session, so the
 * boot fails naming them and the fix.
 */
export function assertGatewaysBound(discovery: DiscoveryService, scanner: MetadataScanner): void {
  const unbound: string[] = [];
  for (const wrapper of discovery.getProviders()) {
    const gateway = wrapper.metatype as Type | null;
    if (typeof gateway !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, gateway)) continue;
    const prototype = gateway.prototype as Record<string, unknown>;
    for (const method of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[method];
      if (typeof handler !== 'function') continue;
      if (Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === undefined) continue;
      if (!readMethodMetadata<unknown[]>(SESSION_PARAMS, gateway, method)?.length) continue;
      if (!hasDeferredSessionResolver(handler)) unbound.push(`${gateway.name}.${method}()`);
    }
  }
  if (unbound.length) {
    throw new Error(
      `${unbound.join(', ')} use @Session() in a WebSocket gateway: import SessionGatewayModule ` +
        `from 'nestjs-typed-session/gateway' into the application`,
    );
  }
}
