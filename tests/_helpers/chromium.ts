/**
 * A headless Chromium driven over the Chrome DevTools Protocol, with nothing
 * but Deno's own WebSocket and subprocess: enough to open a page, evaluate
 * code in it, wait for a condition and take screenshots.
 *
 * Playwright is not used: `npm:playwright-core` checks for WSL at import
 * time with `fs.existsSync("/proc/sys/fs/binfmt_misc/WSLInterop")`, which
 * Deno refuses without `--allow-all`.
 *
 * @module
 */

/** Debian's Chromium, the browser the tests use. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Whether `path` is an executable file here. */
export function hasChromium(path: string = CHROMIUM_PATH): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Options of {@linkcode Chromium.launch}. */
export interface ChromiumOptions {
  /** @default {CHROMIUM_PATH} */
  executablePath?: string;
  /** How long to wait for the browser to start and for each command, in ms. @default {30000} */
  timeoutMs?: number;
}

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** One CDP connection: numbered commands and their answers, and events by name. */
class Connection {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(method: string, params: unknown, session?: string) => void>();
  readonly #timeoutMs: number;
  readonly closed: Promise<void>;
  #next = 1;

  private constructor(socket: WebSocket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", () => {
        for (const pending of this.#pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(new Error("the browser connection closed"));
        }
        this.#pending.clear();
        resolve();
      });
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data as string);
      if (message.id !== undefined) {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return;
        this.#pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.error) pending.reject(new Error(`CDP: ${message.error.message}`));
        else pending.resolve(message.result ?? {});
        return;
      }
      for (const listener of this.#listeners) {
        listener(message.method, message.params, message.sessionId);
      }
    });
  }

  static open(url: string, timeoutMs: number): Promise<Connection> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(new Connection(socket, timeoutMs));
      socket.onerror = (event) => reject(new Error(`Cannot connect to ${url}: ${String(event)}`));
    });
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`CDP: ${method} got no answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  on(listener: (method: string, params: unknown, session?: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#socket.close();
    return this.closed;
  }
}

/** A headless Chromium with a fresh profile; close it to remove both. */
export class Chromium implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #connection: Connection;
  readonly #profile: string;
  readonly #stderr: Promise<void>;
  #closing: Promise<void> | undefined;

  private constructor(
    child: Deno.ChildProcess,
    connection: Connection,
    profile: string,
    stderr: Promise<void>,
  ) {
    this.#child = child;
    this.#connection = connection;
    this.#profile = profile;
    this.#stderr = stderr;
  }

  /** The browser's process id (its renderers are its descendants). */
  get pid(): number {
    return this.#child.pid;
  }

  /** The profile directory: every Chromium process of this browser names it. */
  get profile(): string {
    return this.#profile;
  }

  /**
   * Starts Chromium headless, with the flags these machines need.
   *
   * @throws {Error} When it does not start or say where its DevTools listen.
   */
  static async launch(options: ChromiumOptions = {}): Promise<Chromium> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const profile = await Deno.makeTempDir({ prefix: "actorgear-chromium-" });
    const child = new Deno.Command(options.executablePath ?? CHROMIUM_PATH, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--mute-audio",
        `--user-data-dir=${profile}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // Chromium says where DevTools listen on stderr; the rest of stderr is
    // kept (for errors) and drained so the browser never blocks on it.
    let log = "";
    let found!: (url: string) => void;
    const endpoint = new Promise<string>((resolve) => found = resolve);
    const stderr = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        log = (log + chunk).slice(-8000);
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(log);
        if (match) found(match[1]);
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Chromium did not start within ${timeoutMs} ms:\n${log}`)),
        timeoutMs,
      );
      child.status.then((status) =>
        reject(new Error(`Chromium exited (code ${status.code}) before starting:\n${log}`))
      );
    });
    failed.catch(() => {});
    try {
      const url = await Promise.race([endpoint, failed]);
      const connection = await Connection.open(url, timeoutMs);
      return new Chromium(child, connection, profile, stderr);
    } catch (error) {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.status;
      await stderr;
      await Deno.remove(profile, { recursive: true });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Opens a tab of `width` x `height` CSS pixels.
   *
   * @returns The tab.
   */
  async newPage(width = 1200, height = 800): Promise<ChromiumPage> {
    const { targetId } = await this.#connection.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.#connection.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new ChromiumPage(this.#connection, sessionId as string);
    await page.start(width, height);
    return page;
  }

  /** Closes the browser, waits for its process and removes its profile. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await this.#connection.send("Browser.close").catch(() => {});
        // A browser that does not leave by itself within 5 s is killed.
        timer = setTimeout(() => {
          try {
            this.#child.kill("SIGKILL");
          } catch { /* already exited */ }
        }, 5000);
        await this.#child.status;
      } finally {
        clearTimeout(timer);
        await this.#connection.close();
        await this.#stderr;
        await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
      }
    })();
    return this.#closing;
  }

  /** Same as {@linkcode Chromium.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One tab. */
export class ChromiumPage {
  readonly #connection: Connection;
  readonly #session: string;
  /** Uncaught errors and `console.error` lines of the page. */
  readonly errors: string[] = [];
  #loaded: (() => void) | undefined;

  /** @internal Use {@linkcode Chromium.newPage}. */
  constructor(connection: Connection, session: string) {
    this.#connection = connection;
    this.#session = session;
    connection.on((method, params, session) => {
      if (session !== this.#session) return;
      if (method === "Page.loadEventFired") this.#loaded?.();
      if (method === "Runtime.exceptionThrown") {
        const details =
          (params as { exceptionDetails: { text: string; exception?: { description?: string } } })
            .exceptionDetails;
        this.errors.push(details.exception?.description ?? details.text);
      }
      if (method === "Runtime.consoleAPICalled") {
        const { type, args } = params as { type: string; args: { value?: unknown }[] };
        if (type === "error") this.errors.push(args.map((a) => String(a.value)).join(" "));
      }
    });
  }

  #send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.#connection.send(method, params, this.#session);
  }

  /** @internal */
  async start(width: number, height: number): Promise<void> {
    await this.#send("Page.enable");
    await this.#send("Runtime.enable");
    await this.#send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
  }

  /** Loads `url` and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => this.#loaded = resolve);
    const { errorText } = await this.#send("Page.navigate", { url });
    if (errorText) throw new Error(`Cannot open ${url}: ${errorText}`);
    await loaded;
  }

  /**
   * Evaluates a JavaScript expression in the page (page code is given as
   * text: type-checking it would need the DOM library, which clashes with
   * Deno's types in the rest of the program) and returns its JSON-able
   * value, awaited if it is a promise.
   */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.#send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    }) as { result: { value: T }; exceptionDetails?: { exception?: { description?: string } } };
    if (result.exceptionDetails) {
      throw new Error(`in the page: ${result.exceptionDetails.exception?.description}`);
    }
    return result.result.value;
  }

  /**
   * Resolves once the JavaScript `condition` is truthy in the page (checked
   * there every 20 ms), or rejects after `timeoutMs` naming `what`.
   */
  async waitFor(what: string, condition: string, timeoutMs = 15_000): Promise<void> {
    const expression = `new Promise((resolve, reject) => {
      const deadline = Date.now() + ${timeoutMs};
      const check = () => {
        try {
          if (${condition}) resolve(true);
          else if (Date.now() > deadline) resolve(false);
          else setTimeout(check, 20);
        } catch (error) {
          reject(error);
        }
      };
      check();
    })`;
    if (!await this.evaluate<boolean>(expression)) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
  }

  /** Saves a PNG of the page, once its CSS transitions have finished. */
  async screenshot(path: string): Promise<void> {
    await this.evaluate("document.getAnimations().forEach((a) => a.finish())");
    const { data } = await this.#send("Page.captureScreenshot", { format: "png" });
    const binary = atob(data as string);
    await Deno.writeFile(path, Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  }
}
