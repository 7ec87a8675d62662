type Body = () => void;
type AsyncBody = () => Promise<unknown>;
type Hook = () => unknown;

/** Jest, Vitest, Jasmine: `beforeAll`/`afterAll`, and a test's timeout as `it`'s third argument. */
export interface JestLikeRunner {
  describe(name: string, body: Body): unknown;
  it(name: string, body: AsyncBody, timeoutMs?: number): unknown;
  beforeAll(hook: Hook): unknown;
  afterAll(hook: Hook): unknown;
  beforeEach(hook: Hook): unknown;
}

/** `node:test` (`import * as nodeTest from 'node:test'`): `before`/`after`, options before the body. */
export interface NodeTestLikeRunner {
  describe(name: string, body: Body): unknown;
  it(name: string, options: { timeout?: number }, body: AsyncBody): unknown;
  before(hook: Hook): unknown;
  after(hook: Hook): unknown;
  beforeEach(hook: Hook): unknown;
}

export type TestRunner = JestLikeRunner | NodeTestLikeRunner;

/** What the conformance suite calls, whatever the runner. */
export interface ResolvedTestRunner {
  describe(name: string, body: Body): unknown;
  it(name: string, body: AsyncBody, timeoutMs?: number): unknown;
  beforeAll(hook: Hook): unknown;
  afterAll(hook: Hook): unknown;
  beforeEach(hook: Hook): unknown;
}

/**
 * The runner given, or the globals that Jest and Vitest (`globals: true`) define. Nothing is
 * imported from a runner at load time, so the same file serves `node --test` and Jest.
 */
export function resolveTestRunner(runner?: TestRunner): ResolvedTestRunner {
  const chosen = runner ?? (globalThis as unknown as Partial<JestLikeRunner & NodeTestLikeRunner>);
  if (typeof chosen.describe !== 'function' || typeof chosen.it !== 'function') {
    throw new Error(
      'No test runner: run under Jest or Vitest (globals), or pass `runner` ' +
        "(e.g. `import * as nodeTest from 'node:test'` and `{ runner: nodeTest }`).",
    );
  }
  if ('beforeAll' in chosen && typeof chosen.beforeAll === 'function') {
    const jest = chosen as JestLikeRunner;
    return {
      describe: (name, body) => jest.describe(name, body),
      it: (name, body, timeoutMs) => jest.it(name, keepingProcessAlive(body), timeoutMs),
      beforeAll: (hook) => jest.beforeAll(hook),
      afterAll: (hook) => jest.afterAll(hook),
      beforeEach: (hook) => jest.beforeEach(hook),
    };
  }
  if ('before' in chosen && typeof chosen.before === 'function') {
    const node = chosen as NodeTestLikeRunner;
    return {
      describe: (name, body) => node.describe(name, body),
      it: (name, body, timeoutMs) =>
        node.it(name, { timeout: timeoutMs }, keepingProcessAlive(body)),
      beforeAll: (hook) => node.before(hook),
      afterAll: (hook) => node.after(hook),
      beforeEach: (hook) => node.beforeEach(hook),
    };
  }
  throw new Error('The test runner has neither beforeAll (Jest, Vitest) nor before (node:test)');
}

/**
 * Stores `unref` their timers (a lock wait, a sweep) so that they never hold a process open. A
 * test that awaits one must hold the process itself, or `node --test` finds an empty event loop
 * and cancels the test ("Promise resolution is still pending but the event loop has already
 * resolved").
 */
function keepingProcessAlive(body: AsyncBody): AsyncBody {
  return async () => {
    const alive = setInterval(() => undefined, 60_000);
    try {
      return await body();
    } finally {
      clearInterval(alive);
    }
  };
}
