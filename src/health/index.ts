export {
  SessionStoreHealthIndicator,
  type SessionStoreHealthDetails,
  type SessionStoreHealthOptions,
} from './session-store-health.indicator.js';
