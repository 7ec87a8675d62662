import type { PlatformRequest } from '../platform/http-platform.js';

/** `GET /cart (CartController.view())`: how errors about a route name it. */
export function routeLabel(request: PlatformRequest, handler: string): string {
  const { method, url } = request as { method?: unknown; url?: unknown };
  const path = typeof url === 'string' ? url.split('?')[0] : '';
  return `${typeof method === 'string' ? method : ''} ${path} (${handler})`.trim();
}
