import {
  SessionStore,
  type SessionLockRequest,
  type SessionTouch,
  type SessionWrite,
  type SessionWriteResult,
  type StoredSession,
} from '../../src/index.js';

/** The store calls a gate can hold. */
export type GatedOperation =
  'get' | 'set' | 'destroy' | 'destroyIfUnchanged' | 'touch' | 'acquireLock' | 'releaseLock';

type ArgumentsOf<Operation extends GatedOperation> = Parameters<SessionStore[Operation]>;

export interface GateOptions<Operation extends GatedOperation> {
  /** Which call to hold: the next one of the operation for which this answers true. Default: any. */
  matches?: (...args: ArgumentsOf<Operation>) => boolean;
  /**
   * `'before'` (default): hold the call before the store sees it. `'after'`: let the store apply
   * it, and hold its answer back from the caller.
   */
  at?: 'before' | 'after';
}

/** One held call. */
export interface Gate<Operation extends GatedOperation> {
  /** Resolves when the chosen call arrives (and, with `at: 'after'`, has been applied). */
  readonly reached: Promise<void>;
  /** The held call's arguments, once reached. */
  readonly args: ArgumentsOf<Operation> | undefined;
  /** Let the call go on. Released before it is reached, the call does not stop at all. */
  release(): void;
}

interface PendingGate {
  operation: GatedOperation;
  matches: (...args: never[]) => boolean;
  at: 'before' | 'after';
  arrive(args: unknown[]): void;
  opened: Promise<void>;
  open(): void;
}

/**
 * A `SessionStore` around any store that can hold a chosen call until the test lets it go, so an
 * end-to-end test can set up an interleaving deterministically, without sleeps:
 *
 * ```ts
 * const gate = store.pauseNext('set', { matches: (id, write) => write.mode === 'create' });
 * const slow = request('/regenerate');   // runs until it creates the new id
 * await gate.reached;
 * await request('/logout');              // runs in between
 * gate.release();                        // the regenerate goes on
 * ```
 *
 * Each gate holds one call: the next matching one, in the order the gates were set.
 */
export class GatedStore extends SessionStore {
  private readonly gates: PendingGate[] = [];
  /** How to open the gates of calls held right now. */
  private readonly held = new Set<() => void>();

  constructor(readonly inner: SessionStore) {
    super();
    // The optional user index, passed through (never held) only when the inner store has it.
    const { listForUser, destroyForUser } = inner;
    if (listForUser && destroyForUser) {
      this.listForUser = (userId) => listForUser.call(inner, userId);
      this.destroyForUser = (userId, options) => destroyForUser.call(inner, userId, options);
    }
  }

  pauseNext<Operation extends GatedOperation>(
    operation: Operation,
    options: GateOptions<Operation> = {},
  ): Gate<Operation> {
    let arrive!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const opened = new Promise<void>((resolve) => (open = resolve));
    const gate = {
      reached,
      args: undefined as ArgumentsOf<Operation> | undefined,
      release: () => open(),
    };
    this.gates.push({
      operation,
      matches: (options.matches ?? (() => true)) as unknown as (...args: never[]) => boolean,
      at: options.at ?? 'before',
      arrive: (args) => {
        gate.args = args as ArgumentsOf<Operation>;
        arrive();
      },
      opened,
      open,
    });
    return gate;
  }

  /** Gates set but not yet reached by any call. */
  get waiting(): number {
    return this.gates.length;
  }

  get(id: string): Promise<StoredSession | null> {
    return this.through('get', [id], () => this.inner.get(id));
  }

  set(id: string, write: SessionWrite): Promise<SessionWriteResult> {
    return this.through('set', [id, write], () => this.inner.set(id, write));
  }

  destroy(id: string): Promise<void> {
    return this.through('destroy', [id], () => this.inner.destroy(id));
  }

  destroyIfUnchanged(
    id: string,
    revisions: Record<string, number>,
  ): Promise<'destroyed' | 'missing' | 'changed'> {
    return this.through('destroyIfUnchanged', [id, revisions], () =>
      this.inner.destroyIfUnchanged(id, revisions),
    );
  }

  touch(id: string, touch: SessionTouch): Promise<void> {
    return this.through('touch', [id, touch], () => this.inner.touch(id, touch));
  }

  override acquireLock(id: string, request: SessionLockRequest): Promise<string | null> {
    return this.through('acquireLock', [id, request], () => this.inner.acquireLock(id, request));
  }

  override releaseLock(id: string, token: string): Promise<void> {
    return this.through('releaseLock', [id, token], () => this.inner.releaseLock(id, token));
  }

  /** Lets every held call go (a test that failed half-way must not leave requests hanging). */
  override async close(): Promise<void> {
    for (const gate of this.gates.splice(0)) gate.open();
    for (const open of this.held) open();
    await this.inner.close();
    await super.close();
  }

  private async through<T>(
    operation: GatedOperation,
    args: unknown[],
    call: () => Promise<T>,
  ): Promise<T> {
    const index = this.gates.findIndex(
      (gate) => gate.operation === operation && gate.matches(...(args as never[])),
    );
    if (index === -1) return call();
    const [gate] = this.gates.splice(index, 1);
    this.held.add(gate.open);
    try {
      if (gate.at === 'before') {
        gate.arrive(args);
        await gate.opened;
        return await call();
      }
      const settled = call().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      const outcome = await settled;
      gate.arrive(args);
      await gate.opened;
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    } finally {
      this.held.delete(gate.open);
    }
  }
}
