// `nestjs-typed-session/express-session`: any express-session store (connect-redis,
// connect-pg-simple, connect-mongo, ...) as a `SessionStore`.
export {
  ExpressSessionStoreAdapter,
  type ExpressSessionStoreAdapterOptions,
  type ExpressSessionStoreLike,
  type ExpressSessionLike,
  type ExpressSessionCookieLike,
} from './express-session-store-adapter.js';
