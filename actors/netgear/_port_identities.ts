/**
 * Who sends on one port: the server identities (envelope key `sid`) heard
 * there, and whether two of them are live at once, which means two servers
 * were given the same port. Private to the folder: the connection actor
 * keeps one.
 *
 * A new identity is taken for a restart at first: the identity before it
 * may have crashed, and a crashed server says nothing. Only when a replaced
 * identity speaks again are both known to be live: a conflict, reported
 * once. An identity that said goodbye, or a port gone silent, is not live,
 * so a restart after either never counts.
 *
 * @module
 */

/** How many identities `seen` keeps, newest last. */
const SEEN_KEPT = 8;
/** How many replaced identities are watched for speaking again. */
const REPLACED_KEPT = 16;

/** The identities heard on one port, and their conflicts. */
export class PortIdentities {
  /** The newest identity on the port, taken to own it. */
  #current: string | undefined;
  /** Identities a newer one took over from, not known to have ended. */
  readonly #replaced = new Set<string>();
  /** Identities known to be live at once on this port. */
  readonly #conflicting = new Set<string>();
  /** Every identity heard, in the order first heard, at most `SEEN_KEPT`. */
  readonly #seen: string[] = [];
  /** Conflicts reported so far. */
  conflicts = 0;

  /** Whether two identities are live on the port now. */
  get conflicted(): boolean {
    return this.#conflicting.size > 1;
  }

  /** The identities heard, oldest first (at most 8). */
  get seen(): readonly string[] {
    return this.#seen;
  }

  /**
   * `serverId` spoke (a message without one says nothing about identity).
   *
   * @returns Every identity in conflict, when this message starts (or
   * widens) a conflict; otherwise `undefined`.
   */
  heard(serverId: string | undefined): string[] | undefined {
    if (serverId === undefined) return undefined;
    const current = this.#current;
    if (serverId === current) return undefined;
    this.#remember(serverId);
    if (current === undefined) {
      this.#current = serverId;
      return undefined;
    }
    if (this.#conflicting.has(serverId)) return undefined;
    if (this.#replaced.delete(serverId)) {
      // Taken over by a newer identity, and speaking still: both are live.
      this.#conflicting.add(serverId).add(current);
      this.conflicts++;
      return [...this.#conflicting];
    }
    // A new identity: a restart, until the one before it speaks again.
    this.#replaced.add(current);
    if (this.#replaced.size > REPLACED_KEPT) {
      this.#replaced.delete(this.#replaced.values().next().value!);
    }
    this.#current = serverId;
    return undefined;
  }

  /**
   * `serverId` said goodbye: it is no longer live.
   *
   * @returns Whether another identity is still live on the port (a conflict
   * was on), so that the port itself has not gone.
   */
  left(serverId: string | undefined): boolean {
    if (serverId === undefined) return false;
    this.#replaced.delete(serverId);
    const wasConflicted = this.conflicted;
    this.#conflicting.delete(serverId);
    if (this.#current === serverId) {
      this.#current = wasConflicted ? this.#conflicting.values().next().value : undefined;
    }
    if (this.#conflicting.size < 2) this.#conflicting.clear();
    return wasConflicted;
  }

  /** The port went gone: nobody is live on it, whoever speaks next owns it. */
  portGone(): void {
    this.#current = undefined;
    this.#replaced.clear();
    this.#conflicting.clear();
  }

  #remember(serverId: string): void {
    if (this.#seen.includes(serverId)) return;
    this.#seen.push(serverId);
    if (this.#seen.length > SEEN_KEPT) this.#seen.shift();
  }
}
