import type { INestApplication } from '@nestjs/common';
import { sessionStoreKey } from '../../src/testing/index.js';

/**
 * The key the app's store holds a session under (store keys are hashed by default), from the
 * browser's cookie value or a bare session id: for tests that look at the store itself.
 */
export function storeKeyOf(
  running: { app: INestApplication },
  cookieOrId: string | undefined,
): string {
  const key = sessionStoreKey(running.app, cookieOrId);
  if (key === null) throw new Error(`no session in ${String(cookieOrId)}`);
  return key;
}
