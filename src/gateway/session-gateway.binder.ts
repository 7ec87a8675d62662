import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { GATEWAY_METADATA, MESSAGE_MAPPING_METADATA } from '@nestjs/websockets/constants.js';
import {
  readMethodMetadata,
  readRouteMetadata,
  SESSION_LOCK,
  SESSION_PARAMS,
} from '../http/route-metadata.js';
import { SessionCommitter } from '../session/session-committer.js';
import { SessionLoader } from '../session/session-loader.js';
type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

import {
  bindConnectionHandler,
  bindMessageHandler,
  registerGatewayInstance,
} from './gateway-handler-binding.js';

/**
 * Binds the session to the `@SubscribeMessage()` handlers that have `@Session()` parameters.
 *
 * When: Nest connects gateways in `NestApplication.init()` → `registerModules()` →
 * `registerWsModule()`, which reads each handler function (and its metadata) once, before
 * middleware is configured (`configure()`, where the HTTP routes are bound) and before any
 * `onModuleInit()`. So the handlers are bound here, when providers are instantiated
 * (`NestFactory.create()`, or `compile()` in a test), which precedes `init()`. The binding is
 * the same for every application (it finds the services through the gateway instance), so two
 * applications built from the same classes do not step on each other. The instances are
 * registered in `onModuleInit()`, before any client can connect.
 */
@Injectable()
export class SessionGatewayBinder implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
  ) {
    for (const { metatype } of this.gateways()) this.bindGateway(metatype);
  }

  onModuleInit(): void {
    const services = {
      loader: this.service(SessionLoader),
      committer: this.service(SessionCommitter),
    };
    for (const { wrapper } of this.gateways()) {
      if (!wrapper.isDependencyTreeStatic()) {
        throw new Error(
          `${wrapper.name}: @Session() works in gateways of the default (singleton) scope only`,
        );
      }
      registerGatewayInstance(wrapper.instance as object, services);
    }
  }

  private bindGateway(gateway: Type): void {
    const prototype = gateway.prototype as Record<string, unknown>;
    let usesSession = false;
    for (const method of this.scanner.getAllMethodNames(prototype)) {
      const handler = prototype[method];
      if (typeof handler !== 'function') continue;
      if (Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler) === undefined) continue;
      if (!readMethodMetadata<unknown[]>(SESSION_PARAMS, gateway, method)?.length) continue;
      if (readRouteMetadata(SESSION_LOCK, gateway, method) !== undefined) {
        throw new Error(
          `${gateway.name}.${method}(): @SessionLock() is not supported on gateway handlers`,
        );
      }
      bindMessageHandler(prototype, method, gateway.name);
      usesSession = true;
    }
    if (usesSession) bindConnectionHandler(prototype);
  }

  /** The application's gateways that have handlers using the session. */
  private *gateways(): Generator<{ wrapper: InstanceWrapper; metatype: Type }> {
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as Type | null;
      if (typeof metatype !== 'function' || !metatype.prototype) continue;
      if (!Reflect.getMetadata(GATEWAY_METADATA, metatype)) continue;
      yield { wrapper, metatype };
    }
  }

  private service<T>(type: Type<T>): T {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      throw new Error(
        'SessionGatewayModule needs SessionModule: import SessionModule.forRoot() in the application',
      );
    }
  }
}
