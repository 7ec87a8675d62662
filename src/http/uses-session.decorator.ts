import { routeMetadataDecorator, USES_SESSION } from './route-metadata.js';

/**
 * Marks a route, or every route of a controller, as one that uses the session although no
 * `@Session()` parameter says so: guards, pipes or providers reach it through `SessionService`.
 * The session is then committed before the response, also when a guard rejects the request with
 * a 4xx. Routes that use the session in none of these ways run no code of this library.
 */
export const UsesSession = (): ClassDecorator & MethodDecorator =>
  routeMetadataDecorator(USES_SESSION, true);
