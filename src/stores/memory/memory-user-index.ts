import type { SessionOwner } from '../../store/session-owner.js';

/**
 * The memory store's user index: each bound slot's owner, and each user's session ids. Kept
 * sparse (only bound sessions cost anything) and changed only together with the table, in the
 * same synchronous call, so the index can never disagree with the sessions.
 */
export class MemoryUserIndex {
  private readonly owners = new Map<number, SessionOwner>();
  private readonly users = new Map<string, Set<string>>();

  ownerOf(slot: number): SessionOwner | undefined {
    return this.owners.get(slot);
  }

  /** A copy of the user's ids, so callers may remove sessions while walking it. */
  idsOf(userId: string): string[] {
    return [...(this.users.get(userId) ?? [])];
  }

  /** Bind the session `id` at `slot` to `owner`, or unbind it (`null`). */
  bind(id: string, slot: number, owner: SessionOwner | null): void {
    const previous = this.owners.get(slot);
    if (previous && previous.userId !== owner?.userId) {
      const ids = this.users.get(previous.userId);
      ids?.delete(id);
      if (ids?.size === 0) this.users.delete(previous.userId);
    }
    if (!owner) {
      this.owners.delete(slot);
      return;
    }
    this.owners.set(slot, owner);
    let ids = this.users.get(owner.userId);
    if (!ids) this.users.set(owner.userId, (ids = new Set()));
    ids.add(id);
  }
}
