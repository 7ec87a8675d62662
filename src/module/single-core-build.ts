import { processWide } from '../store/process-wide.js';

/**
 * The core entry (module, decorators, service, handle) must exist once per process: two copies
 * would mean two `SessionModule` classes and two `SessionService` tokens, and a provider from one
 * would silently not see the other. The store contract is shared between the CommonJS and ESM
 * builds (see `processWide`), but the core is not, so loading the core entry in the second
 * format fails here, at once, naming the cause, instead of misbehaving later.
 */
const format = typeof exports === 'object' ? 'CommonJS' : 'ES module';
const first = processWide('core-build', format);
if (first !== format) {
  throw new Error(
    `nestjs-typed-session was loaded as ${first} and now as ${format} in the same process. ` +
      'Its module, decorators and SessionService would exist twice, so it refuses. Import it ' +
      'one way throughout the app (a library that requires it should be built in the same ' +
      'format as the app). Store packages may use either format: SessionStore is shared.',
  );
}
