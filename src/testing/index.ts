// `nestjs-typed-session/testing`: the store conformance suite (for store authors) and helpers for
// testing an app that uses sessions. Nothing here is loaded by the other entries.
export {
  runSessionStoreConformance,
  type SessionStoreConformanceOptions,
} from './session-store-conformance.js';
export type { ExpiryReportConformance } from './expiry-report-conformance.js';
export type { JestLikeRunner, NodeTestLikeRunner, TestRunner } from './test-runner.js';
export {
  createSessionCookie,
  readSession,
  sessionStoreKey,
  type SessionAppRef,
  type SessionTestData,
} from './session-cookies.js';
export { TestClock } from './test-clock.js';
