import type { Provider } from '@nestjs/common';
import { RESOLVED_SESSION_OPTIONS } from '../options/session-options.token.js';
import type { ResolvedSessionOptions } from '../options/session-options.js';
import { SessionStore } from '../store/session-store.js';
import { KEYED_SESSION_STORE, KeyedSessionStore } from './keyed-session-store.js';
import { PlainKeyMove } from './plain-key-move.js';
import { StoreKey } from './store-key.js';

/** The engine's view of the app's store under the `storeKeys` option. */
export const keyedSessionStoreProvider: Provider = {
  provide: KEYED_SESSION_STORE,
  inject: [RESOLVED_SESSION_OPTIONS, SessionStore],
  useFactory: (options: ResolvedSessionOptions, store: SessionStore) => {
    const { hmacKey, migrateFromPlain } = options.storeKeys;
    const move = migrateFromPlain ? new PlainKeyMove(store, options.lock) : null;
    return new KeyedSessionStore(store, new StoreKey(hmacKey), move);
  },
};
