import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SessionModuleOptions } from '../options/session-options.js';

export const {
  ConfigurableModuleClass: ConfigurableSessionModule,
  MODULE_OPTIONS_TOKEN: SESSION_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SessionModuleOptions>({
  // A readable token (Nest's default is `CONFIGURABLE_MODULE_OPTIONS[<uuid>]`), and one that is
  // the same in the CommonJS and the ESM build (`Symbol.for` is realm-wide).
  optionsInjectionToken: Symbol.for('nestjs-typed-session:SESSION_MODULE_OPTIONS'),
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSessionOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

// `OPTIONS_TYPE` and `ASYNC_OPTIONS_TYPE` are type carriers (reading them throws), so only their
// types are public.

/** What `SessionModule.forRoot` takes: the options plus `isGlobal` (default `true`). */
export type SessionModuleForRootOptions = typeof OPTIONS_TYPE;

/**
 * What `SessionModule.forRootAsync` takes: `imports`, `inject`, one of `useFactory`, `useClass`
 * or `useExisting`, and `isGlobal`.
 */
export type SessionModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** A class for `forRootAsync({ useClass })` or `useExisting`: it makes the options. */
export interface SessionOptionsFactory {
  createSessionOptions(): SessionModuleOptions | Promise<SessionModuleOptions>;
}
