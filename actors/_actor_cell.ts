// One actor's runtime: its mailbox loop, lifecycle and place in the tree.
//
// The loop runs in a microtask and handles one message at a time: system
// messages first, then user messages while running and not suspended. A
// handler that returns a thenable parks the loop until it settles; a sync
// handler costs no extra microtask. Lifecycle work (start, restart, stop) runs
// as async procedures that also park the loop.
import type { Actor, Props } from "./actor.ts";
import { type ActorRef, type AskOptions, type MessageTarget, newActorRef } from "./actor_ref.ts";
import type { ActorState, ActorStats } from "./actor_stats.ts";
import { ActorStoppedError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { oneForOne } from "./strategy_one_for_one.ts";
import type { SupervisorStrategy } from "./supervision.ts";
import { CellContext } from "./_actor_context.ts";
import { runAsk } from "./_ask.ts";
import type { Cell, ParentNode, RuntimeHost, SystemMessage } from "./_cell_types.ts";
import { Children } from "./_children.ts";
import { Mailbox, resolveMailboxOptions } from "./_mailbox.ts";
import { RESOLVED } from "./_resolved.ts";
import { FailureHistory } from "./_strategy.ts";

const IDLE = 0;
/** Awaiting a user handler (receive, childTerminated); a stop abandons it. */
const HANDLER = 1;
/** Awaiting a lifecycle procedure; everything waits for it. */
const LIFECYCLE = 2;

// Messages handled per microtask before yielding to other actors' microtasks.
const THROUGHPUT = 256;

const DEFAULT_SUPERVISOR: SupervisorStrategy = oneForOne();

const START: SystemMessage = Object.freeze({ type: "start" });

export class ActorCell<M> implements MessageTarget<M>, Cell<M> {
  readonly path: string;
  readonly name: string;
  readonly ref: ActorRef<M>;
  readonly runtime: RuntimeHost;
  readonly parent: ParentNode;
  /** Incarnation of the parent that spawned this cell (old children's deaths are not news to a restarted parent). */
  readonly parentIncarnation: number;
  /** Failure history the parent's strategy budgets restarts with. */
  readonly history: FailureHistory = new FailureHistory();
  readonly children: Children;
  received = 0;
  processed = 0;
  restarts = 0;
  #props: Props<M>;
  #mailbox: Mailbox<M, SystemMessage>;
  #context: CellContext<M>;
  #instance: Actor<M> | undefined;
  #incarnation = 0;
  #state: ActorState = "starting";
  #busy = IDLE;
  #scheduled = false;
  #suspended = false;
  #stopRequested = false;
  #stopStarted = false;
  #stopReason: unknown = undefined;
  #stopped: PromiseWithResolvers<void> | undefined;
  #controller: AbortController | undefined;
  #deferred: SystemMessage[] = [];

  constructor(
    runtime: RuntimeHost,
    parent: ParentNode,
    name: string,
    props: Props<M>,
    parentIncarnation: number,
  ) {
    this.path = `${parent.path}/${name}`;
    if (typeof props?.create !== "function") {
      throw new TypeError(
        `Cannot spawn ${this.path}: props.create is ${typeof props
          ?.create}; expected a function returning an Actor`,
      );
    }
    const supervisor = props.supervisor ?? DEFAULT_SUPERVISOR;
    if (typeof supervisor.handleFailure !== "function") {
      throw new TypeError(
        `Cannot spawn ${this.path}: props.supervisor has no handleFailure(); use oneForOne() or allForOne()`,
      );
    }
    this.#mailbox = new Mailbox(resolveMailboxOptions(this.path, props.mailbox));
    this.name = name;
    this.runtime = runtime;
    this.parent = parent;
    this.parentIncarnation = parentIncarnation;
    this.#props = props;
    this.children = new Children(
      runtime,
      this as ParentNode,
      supervisor,
      createCell,
      (_child, reason) => this.#fail(reason),
    );
    this.ref = newActorRef(this.path, this);
    this.#context = new CellContext(this);
    this.sendSystem(START);
  }

  get state(): ActorState {
    return this.#state;
  }

  /** Failed and waiting for its supervisor's directive. */
  get suspended(): boolean {
    return this.#suspended;
  }

  /** Stop requested (or done): takes no more messages. */
  get isStopping(): boolean {
    return this.#stopRequested;
  }

  get log(): Logger {
    return this.#context.log;
  }

  /** Aborted when the current incarnation ends. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopRequested) {
        this.#controller.abort(
          new ActorStoppedError(this.path, "the actor is stopping"),
        );
      }
    }
    return this.#controller.signal;
  }

  stats(): ActorStats {
    return {
      path: this.path,
      received: this.received,
      processed: this.processed,
      dropped: this.#mailbox.dropped,
      queued: this.#mailbox.queued,
      restarts: this.restarts,
      state: this.#state,
    };
  }

  // --- delivery -----------------------------------------------------------

  tell(message: M, signal: AbortSignal | undefined): Promise<void> {
    if (this.#stopRequested) {
      this.runtime.deadLetter(this.path, message);
      return RESOLVED;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.received++;
    const queued = this.#mailbox.offer(message, signal);
    if (!this.#scheduled && this.#busy === IDLE) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
    return queued ?? RESOLVED;
  }

  ask<R>(
    ref: ActorRef<M>,
    make: (replyTo: ActorRef<R>) => M,
    options: AskOptions,
  ): Promise<R> {
    return runAsk(this.runtime.asks, ref, this, make, options);
  }

  sendSystem(message: SystemMessage): void {
    if (this.#stopRequested) return;
    this.#mailbox.pushSystem(message);
    if (!this.#scheduled && this.#busy === IDLE) {
      this.#scheduled = true;
      queueMicrotask(this.#drain);
    }
  }

  // --- tree ----------------------------------------------------------------

  spawnChild<C>(name: string, props: Props<C>): ActorRef<C> {
    // Until the stop procedure collects the children, a new one is still
    // stopped with the rest (started() may spawn under a pending stop).
    if (this.#stopStarted) {
      throw new ActorStoppedError(
        this.path,
        `it is stopping, so it cannot spawn ${JSON.stringify(name)}`,
      );
    }
    return this.children.spawn(name, props, this.#incarnation);
  }

  childFailed(child: Cell, reason: unknown): void {
    // Decided at once rather than queued: a decision only touches the
    // children, so it need not wait behind this actor's in-flight handler.
    if (this.#stopRequested) return;
    this.children.handleFailure(child, reason);
  }

  childStopped(child: Cell, reason: unknown): void {
    this.children.remove(child);
    this.sendSystem({ type: "terminated", child, reason });
  }

  /** Queues a restart; the current incarnation's signal aborts now so a cooperative in-flight handler can finish early. */
  requestRestart(reason: unknown): void {
    if (this.#stopRequested) return;
    this.#endSignal(reason);
    this.sendSystem({ type: "restart", reason });
  }

  requestStop(reason?: unknown): Promise<void> {
    if (this.#stopped === undefined) {
      this.#stopped = Promise.withResolvers<void>();
      this.#stopRequested = true;
      this.#stopReason = reason;
      this.#state = "stopping";
      this.#controller?.abort(
        new ActorStoppedError(this.path, "the actor is stopping"),
      );
      // Abandon an in-flight handler: it may be awaiting this very stop, or
      // I/O that only the stopped() hook will close.
      if (this.#busy === HANDLER) this.#busy = IDLE;
      if (!this.#scheduled && this.#busy === IDLE) {
        this.#scheduled = true;
        queueMicrotask(this.#drain);
      }
    }
    return this.#stopped.promise;
  }

  // --- the loop --------------------------------------------------------------

  #drain = (): void => {
    if (this.#run()) queueMicrotask(this.#drain);
    else this.#scheduled = false;
  };

  /** Restarts the loop after the thing it waited for settled. */
  #kick(): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#drain();
    }
  }

  /** Returns true when it stopped for fairness with work left. */
  #run(): boolean {
    const mailbox = this.#mailbox;
    let budget = THROUGHPUT;
    while (this.#busy === IDLE) {
      // A stop waits for the first start, so every spawned actor sees both
      // started() and stopped(); it preempts everything else.
      if (this.#stopRequested && this.#incarnation > 0) {
        if (!this.#stopStarted) {
          this.#stopStarted = true;
          this.#lifecycle(this.#stopProcedure);
        }
        return false;
      }
      if (mailbox.systemLength > 0) {
        this.#system(mailbox.pollSystem());
        continue;
      }
      if (
        this.#suspended || this.#state !== "running" || mailbox.length === 0
      ) {
        return false;
      }
      if (budget-- === 0) return true;
      this.#invoke(mailbox.poll() as M);
    }
    return false;
  }

  #invoke(message: M): void {
    this.processed++;
    let result: unknown;
    try {
      result = this.#instance!.receive(message, this.#context);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (
      typeof result === "object" && result !== null &&
      typeof (result as PromiseLike<void>).then === "function"
    ) {
      this.#awaitHandler(result as PromiseLike<void>);
    }
  }

  #awaitHandler(result: PromiseLike<void>): void {
    if (this.#stopRequested) {
      // The handler requested a stop synchronously: do not wait for it.
      result.then(undefined, this.#abandonedFailed);
      return;
    }
    this.#busy = HANDLER;
    result.then(this.#handlerDone, this.#handlerFailed);
  }

  #handlerDone = (): void => {
    if (this.#busy !== HANDLER) return; // abandoned by a stop
    this.#busy = IDLE;
    this.#kick();
  };

  #handlerFailed = (error: unknown): void => {
    if (this.#busy !== HANDLER) return this.#abandonedFailed(error);
    this.#busy = IDLE;
    this.#fail(error);
    this.#kick();
  };

  #abandonedFailed = (error: unknown): void => {
    this.log.debug("a handler abandoned by the stop failed afterwards", error);
  };

  #lifecycle(procedure: () => Promise<void>): void {
    this.#busy = LIFECYCLE;
    procedure().then(this.#lifecycleDone, this.#lifecycleCrashed);
  }

  #lifecycleDone = (): void => {
    this.#busy = IDLE;
    this.#kick();
  };

  #lifecycleCrashed = (error: unknown): void => {
    this.log.error("internal error in the actor lifecycle", error);
    this.#lifecycleDone();
  };

  #system(message: SystemMessage): void {
    switch (message.type) {
      case "start":
        return this.#lifecycle(this.#incarnate);
      case "restart":
        return this.#lifecycle(() => this.#restart(message.reason));
      case "resume":
        return this.#resume(message.reason);
      case "terminated":
        return this.#terminated(message);
    }
  }

  // --- failure and lifecycle -------------------------------------------------

  #fail(reason: unknown): void {
    // Already failed: the pending decision covers this too. Stopping: nothing to supervise.
    if (this.#suspended || this.#stopRequested) {
      this.log.debug("failed again before a decision or while stopping", reason);
      return;
    }
    this.#suspended = true;
    this.parent.childFailed(this as Cell, reason);
  }

  #incarnate = async (): Promise<void> => {
    this.#incarnation++;
    let instance: Actor<M>;
    try {
      instance = this.#props.create();
      if (typeof instance?.receive !== "function") {
        throw new TypeError(
          `Cannot start ${this.path}: props.create() returned an object without receive()`,
        );
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#instance = instance;
    if (instance.started !== undefined) {
      try {
        await instance.started(this.#context);
      } catch (error) {
        this.#fail(error);
        return;
      }
    }
    if (!this.#stopRequested) this.#state = "running";
  };

  async #restart(reason: unknown): Promise<void> {
    if (this.#stopRequested) return;
    this.#state = "restarting";
    this.restarts++;
    this.#endSignal(reason);
    const old = this.#instance;
    if (old?.restarting !== undefined) {
      await this.#hook("restarting", () => old.restarting!(this.#context, reason));
    }
    await this.children.stopAll();
    // A stop that arrived meanwhile runs old.stopped() itself.
    if (this.#stopRequested) return;
    this.#instance = undefined;
    if (old?.stopped !== undefined) {
      await this.#hook("stopped", () => old.stopped!(this.#context));
    }
    this.#deferred.length = 0;
    this.#suspended = false;
    if (this.#stopRequested) return;
    await this.#incarnate();
  }

  #resume(reason: unknown): void {
    if (this.#instance === undefined) {
      // create() itself failed: there is nothing to resume, and retrying
      // outside the restart budget could loop forever.
      this.log.error("cannot resume: create() failed; stopping", reason);
      void this.requestStop(reason);
      return;
    }
    this.#suspended = false;
    this.#state = "running";
    for (const message of this.#deferred) this.#mailbox.pushSystem(message);
    this.#deferred.length = 0;
    // Children left suspended by a failure this actor escalated resume with it.
    for (const child of this.children.live()) {
      if (child.suspended) child.sendSystem({ type: "resume", reason });
    }
  }

  #terminated(
    message: Extract<SystemMessage, { type: "terminated" }>,
  ): void {
    const instance = this.#instance;
    if (
      instance?.childTerminated === undefined ||
      message.child.parentIncarnation !== this.#incarnation ||
      this.#state !== "running"
    ) {
      return;
    }
    if (this.#suspended) {
      this.#deferred.push(message);
      return;
    }
    let result: unknown;
    try {
      result = instance.childTerminated(
        message.child.ref,
        message.reason,
        this.#context,
      );
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (
      typeof result === "object" && result !== null &&
      typeof (result as PromiseLike<void>).then === "function"
    ) {
      this.#awaitHandler(result as PromiseLike<void>);
    }
  }

  #stopProcedure = async (): Promise<void> => {
    this.#state = "stopping";
    this.#mailbox.clearSystem();
    this.#deferred.length = 0;
    const runtime = this.runtime;
    const path = this.path;
    this.#mailbox.drain((message) => runtime.deadLetter(path, message, true));
    await this.children.stopAll();
    const instance = this.#instance;
    this.#instance = undefined;
    if (instance?.stopped !== undefined) {
      await this.#hook("stopped", () => instance.stopped!(this.#context));
    }
    this.#state = "stopped";
    runtime.unregister(this as Cell);
    this.parent.childStopped(this as Cell, this.#stopReason);
    this.#stopped!.resolve();
  };

  #endSignal(reason: unknown): void {
    const controller = this.#controller;
    this.#controller = undefined;
    controller?.abort(
      new ActorStoppedError(this.path, "the actor is restarting", {
        cause: reason,
      }),
    );
  }

  /** Runs a hook whose errors are logged, never supervised. */
  async #hook(
    name: string,
    call: () => void | Promise<void>,
  ): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.log.error(`${name}() threw; carrying on`, error);
    }
  }
}

// The CellFactory every Children spawns with: a cell per actor.
export function createCell<C>(
  runtime: RuntimeHost,
  parent: ParentNode,
  name: string,
  props: Props<C>,
  parentIncarnation: number,
): Cell<C> {
  return new ActorCell(runtime, parent, name, props, parentIncarnation);
}
