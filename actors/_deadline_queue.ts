// One timer for all pending asks of a system instead of one per ask: arming
// and clearing a Deno timer costs about 1 µs, several times the rest of an
// ask round trip. Entries sit in a min-heap by deadline; settled entries are
// dropped lazily (when they reach the top, or by compaction). The timer is
// cleared once nothing has been pending for IDLE_TURNS microtask turns, so
// none outlives the asks (nor the macrotask that settled the last one).

/** Something with a deadline; `expire()` runs if it is still unsettled then. */
export interface Expiring {
  readonly deadline: number;
  readonly settled: boolean;
  expire(): void;
}

// Rebuild the heap once settled entries outnumber live ones (and it is not tiny).
const COMPACT_MIN = 64;

// Microtask turns an idle queue keeps its timer. A send loop asks again a few
// turns after each reply (the reply settles the ask, some async functions
// return, the next ask comes): dropping the timer at the first idle turn made
// a NetGear REQ server clear and re-arm Node-style Timeouts (about 1.3 KB and
// two ops each) twice per frame, a fifth of all it allocated. Eight turns
// cover that loop with room to spare and still end in the same macrotask.
const IDLE_TURNS = 8;

export class DeadlineQueue {
  #heap: Expiring[] = [];
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;
  #idleCheckQueued = false;
  #idleTurns = 0;
  #arms = 0;

  /** Entries added and not yet settled. */
  get live(): number {
    return this.#live;
  }

  /** Whether a timer is currently armed. */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  /** Timers armed so far (for tests and diagnostics). */
  get arms(): number {
    return this.#arms;
  }

  add(entry: Expiring): void {
    this.#live++;
    const heap = this.#heap;
    heap.push(entry);
    siftUp(heap, heap.length - 1);
    if (entry.deadline < this.#armedFor) this.#arm(entry.deadline);
    if (heap.length > COMPACT_MIN && heap.length > 2 * this.#live) {
      this.#compact();
    }
  }

  /** An entry settled (replied, aborted or expired). */
  settled(): void {
    if (--this.#live === 0 && !this.#idleCheckQueued) {
      // Deferred IDLE_TURNS microtasks: a caller that asks again right after
      // a reply keeps the armed timer instead of re-arming it.
      this.#idleCheckQueued = true;
      this.#idleTurns = 0;
      queueMicrotask(this.#idleCheck);
    }
  }

  /** Drops every entry and the timer. */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#heap.length = 0;
  }

  #idleCheck = (): void => {
    if (this.#live === 0 && ++this.#idleTurns < IDLE_TURNS) {
      queueMicrotask(this.#idleCheck);
      return;
    }
    this.#idleCheckQueued = false;
    if (this.#live === 0) this.clear();
  };

  #arm(deadline: number): void {
    this.#arms++;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = setTimeout(
      this.#fire,
      Math.max(0, deadline - performance.now()),
    );
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const heap = this.#heap;
    const now = performance.now();
    while (heap.length > 0) {
      const top = heap[0];
      if (!top.settled && top.deadline > now) break;
      popTop(heap);
      if (!top.settled) top.expire();
    }
    if (heap.length > 0) this.#arm(heap[0].deadline);
  };

  #compact(): void {
    const live = this.#heap.filter((entry) => !entry.settled);
    for (let i = (live.length >> 1) - 1; i >= 0; i--) siftDown(live, i);
    this.#heap = live;
  }
}

function siftUp(heap: Expiring[], index: number): void {
  const entry = heap[index];
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (heap[parent].deadline <= entry.deadline) break;
    heap[index] = heap[parent];
    index = parent;
  }
  heap[index] = entry;
}

function siftDown(heap: Expiring[], index: number): void {
  const length = heap.length;
  const entry = heap[index];
  for (;;) {
    let child = 2 * index + 1;
    if (child >= length) break;
    if (child + 1 < length && heap[child + 1].deadline < heap[child].deadline) {
      child++;
    }
    if (heap[child].deadline >= entry.deadline) break;
    heap[index] = heap[child];
    index = child;
  }
  heap[index] = entry;
}

function popTop(heap: Expiring[]): void {
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(heap, 0);
  }
}
