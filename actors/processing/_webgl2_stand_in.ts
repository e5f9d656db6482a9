/**
 * A CPU stand-in for the few WebGL2 calls MediaPipe Tasks Vision makes on its
 * CPU delegate. Even there every image enters the graph as a WebGL texture
 * and is read back with `readPixels`, and Deno has no WebGL: this class keeps
 * textures as byte arrays so that round trip becomes two copies.
 *
 * Only the calls measured with `@mediapipe/tasks-vision` 1.1.0 exist (start-up:
 * getExtension, getSupportedExtensions, getParameter, getContextAttributes,
 * getError; per frame: activeTexture, createTexture, bindTexture,
 * texParameteri, texImage2D, fenceSync, createFramebuffer, bindFramebuffer,
 * framebufferTexture2D, readPixels), plus `deleteFramebuffer`, which
 * `close()` calls. A
 * call MediaPipe starts making in a later version fails loudly as
 * "not a function" instead of silently returning nothing.
 *
 * @module
 */

const GL_NO_ERROR = 0;
const GL_INVALID_ENUM = 0x0500;
const GL_INVALID_OPERATION = 0x0502;
const GL_TEXTURE_2D = 0x0de1;
const GL_TEXTURE0 = 0x84c0;
const GL_RGBA = 0x1908;
const GL_UNSIGNED_BYTE = 0x1401;
const GL_FRAMEBUFFER = 0x8d40;
const GL_COLOR_ATTACHMENT0 = 0x8ce0;
const GL_VENDOR = 0x1f00;
const GL_RENDERER = 0x1f01;
const GL_VERSION = 0x1f02;
const GL_SHADING_LANGUAGE_VERSION = 0x8b8c;
const GL_MAX_TEXTURE_SIZE = 0x0d33;
const GL_MAX_VERTEX_ATTRIBS = 0x8869;
const TEXTURE_UNITS = 16;

// MediaPipe queries VERSION, RENDERER and MAX_VERTEX_ATTRIBS at start-up and
// aborts inside its wasm on the first frame when they come back as 0 (measured).
const PARAMETERS: ReadonlyMap<number, string | number> = new Map<number, string | number>([
  [GL_VENDOR, "ActorGear"],
  [GL_RENDERER, "ActorGear CPU WebGL2 stand-in"],
  [GL_VERSION, "WebGL 2.0 (ActorGear CPU stand-in)"],
  [GL_SHADING_LANGUAGE_VERSION, "WebGL GLSL ES 3.00"],
  [GL_MAX_TEXTURE_SIZE, 16384],
  [GL_MAX_VERTEX_ATTRIBS, 16],
]);

/** Pixels uploaded with `texImage2D`, as an ImageData-like object. */
interface PixelSource {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayBufferView;
}

/** A texture: RGBA bytes, rows in upload order. */
export class CpuTexture {
  /** Width in pixels (0 until the first upload). */
  width = 0;
  /** Height in pixels (0 until the first upload). */
  height = 0;
  /** RGBA bytes; reused across uploads of the same size. */
  pixels: Uint8Array = new Uint8Array(0);
}

/** A framebuffer: only its colour attachment matters here. */
export class CpuFramebuffer {
  /** The texture attached as `COLOR_ATTACHMENT0`, if any. */
  texture: CpuTexture | null = null;
}

/** The canvas handed to MediaPipe in its task options. */
export interface CpuCanvas {
  /** Canvas width; MediaPipe sets it to the last image's width. */
  width: number;
  /** Canvas height; MediaPipe sets it to the last image's height. */
  height: number;
  /** Returns the stand-in for `"webgl2"`, `null` for anything else. */
  getContext(kind: string, attributes?: Record<string, unknown>): CpuWebGL2Context | null;
  /**
   * Emscripten wraps `getContext` under this name to work around a Safari bug,
   * and its wrapper tests `instanceof WebGLRenderingContext`, a global Deno
   * lacks. Providing it up front keeps that wrapper (and a second global) out.
   */
  getContextSafariWebGL2Fixed(
    kind: string,
    attributes?: Record<string, unknown>,
  ): CpuWebGL2Context | null;
}

/** The CPU stand-in context; set as `globalThis.WebGL2RenderingContext` by {@linkcode installWebGL2StandIn}. */
export class CpuWebGL2Context {
  readonly TEXTURE_2D = GL_TEXTURE_2D;
  readonly TEXTURE0 = GL_TEXTURE0;
  readonly RGBA = GL_RGBA;
  readonly UNSIGNED_BYTE = GL_UNSIGNED_BYTE;
  readonly FRAMEBUFFER = GL_FRAMEBUFFER;
  readonly COLOR_ATTACHMENT0 = GL_COLOR_ATTACHMENT0;
  readonly NO_ERROR = GL_NO_ERROR;

  /** The canvas this context belongs to (WebGL API). */
  readonly canvas: CpuCanvas;
  #attributes: Record<string, unknown>;
  #error = GL_NO_ERROR;
  #activeUnit = 0;
  #units: (CpuTexture | null)[] = new Array(TEXTURE_UNITS).fill(null);
  #framebuffer: CpuFramebuffer | null = null;

  /**
   * Creates a context for `canvas`.
   *
   * @param canvas The canvas that owns the context.
   * @param attributes The attributes `getContext` was called with.
   */
  constructor(canvas: CpuCanvas, attributes: Record<string, unknown> = {}) {
    this.canvas = canvas;
    this.#attributes = { ...attributes };
  }

  /** No extensions: MediaPipe then stays on plain RGBA8 textures. */
  getExtension(_name: string): null {
    return null;
  }

  /** No extensions. */
  getSupportedExtensions(): string[] {
    return [];
  }

  /** Answers the few queries MediaPipe makes at start-up; `null` plus INVALID_ENUM otherwise, as WebGL does. */
  getParameter(name: number): string | number | null {
    const value = PARAMETERS.get(name);
    if (value === undefined) this.#setError(GL_INVALID_ENUM);
    return value ?? null;
  }

  /** The attributes the context was created with. */
  getContextAttributes(): Record<string, unknown> {
    return { ...this.#attributes };
  }

  /** Returns and clears the first recorded error, as WebGL does. */
  getError(): number {
    const error = this.#error;
    this.#error = GL_NO_ERROR;
    return error;
  }

  /** Selects the texture unit `bindTexture` binds to. */
  activeTexture(unit: number): void {
    const index = unit - GL_TEXTURE0;
    if (index < 0 || index >= TEXTURE_UNITS) return this.#setError(GL_INVALID_ENUM);
    this.#activeUnit = index;
  }

  /** Creates an empty texture. */
  createTexture(): CpuTexture {
    return new CpuTexture();
  }

  /** Binds `texture` (or nothing) to the active unit. */
  bindTexture(target: number, texture: CpuTexture | null): void {
    if (target !== GL_TEXTURE_2D) return this.#setError(GL_INVALID_ENUM);
    this.#units[this.#activeUnit] = texture;
  }

  /** Filtering and wrapping mean nothing without sampling: ignored. */
  texParameteri(_target: number, _name: number, _value: number): void {}

  /**
   * Copies an RGBA image into the bound texture (the 6-argument form only:
   * target, level, internalFormat, format, type, source).
   */
  texImage2D(
    target: number,
    level: number,
    internalFormat: number,
    format: number,
    type: number,
    source: PixelSource,
  ): void {
    if (arguments.length !== 6) {
      throw new TypeError(
        `Cannot run texImage2D with ${arguments.length} arguments: the CPU WebGL2 stand-in ` +
          "supports only texImage2D(target, level, internalFormat, format, type, source)",
      );
    }
    const texture = this.#units[this.#activeUnit];
    if (target !== GL_TEXTURE_2D || level !== 0) return this.#setError(GL_INVALID_ENUM);
    if (internalFormat !== GL_RGBA || format !== GL_RGBA || type !== GL_UNSIGNED_BYTE) {
      return this.#setError(GL_INVALID_ENUM);
    }
    if (texture === null) return this.#setError(GL_INVALID_OPERATION);
    const { width, height, data } = source;
    const size = width * height * 4;
    if (data.byteLength < size) return this.#setError(GL_INVALID_OPERATION);
    if (texture.pixels.length !== size) texture.pixels = new Uint8Array(size);
    // A copy, as in WebGL: the caller may refill its buffer before MediaPipe reads it back.
    texture.pixels.set(new Uint8Array(data.buffer, data.byteOffset, size));
    texture.width = width;
    texture.height = height;
  }

  /**
   * Everything is finished when a call returns, so there is nothing to wait
   * for: `null` becomes sync id 0, which MediaPipe neither waits on nor deletes.
   */
  fenceSync(_condition: number, _flags: number): null {
    return null;
  }

  /** Creates a framebuffer. */
  createFramebuffer(): CpuFramebuffer {
    return new CpuFramebuffer();
  }

  /** Binds `framebuffer` (or the default one, which has no pixels). */
  bindFramebuffer(target: number, framebuffer: CpuFramebuffer | null): void {
    if (target !== GL_FRAMEBUFFER) return this.#setError(GL_INVALID_ENUM);
    this.#framebuffer = framebuffer;
  }

  /** Nothing to release: the garbage collector owns the bytes. */
  deleteFramebuffer(framebuffer: CpuFramebuffer | null): void {
    if (framebuffer !== null && this.#framebuffer === framebuffer) this.#framebuffer = null;
  }

  /** Attaches `texture` as the bound framebuffer's colour buffer. */
  framebufferTexture2D(
    target: number,
    attachment: number,
    textureTarget: number,
    texture: CpuTexture | null,
    _level: number,
  ): void {
    if (target !== GL_FRAMEBUFFER || attachment !== GL_COLOR_ATTACHMENT0) {
      return this.#setError(GL_INVALID_ENUM);
    }
    if (textureTarget !== GL_TEXTURE_2D) return this.#setError(GL_INVALID_ENUM);
    if (this.#framebuffer === null) return this.#setError(GL_INVALID_OPERATION);
    this.#framebuffer.texture = texture;
  }

  /**
   * Copies a rectangle of the bound framebuffer's texture into `destination`.
   * Emscripten passes its whole heap and the element index to write at
   * (7th and 8th arguments): writing anywhere else corrupts the wasm memory.
   */
  readPixels(
    x: number,
    y: number,
    width: number,
    height: number,
    format: number,
    type: number,
    destination: ArrayBufferView,
    destinationOffset = 0,
  ): void {
    if (format !== GL_RGBA || type !== GL_UNSIGNED_BYTE) return this.#setError(GL_INVALID_ENUM);
    const texture = this.#framebuffer?.texture;
    if (!texture) return this.#setError(GL_INVALID_OPERATION);
    if (x < 0 || y < 0 || x + width > texture.width || y + height > texture.height) {
      return this.#setError(GL_INVALID_OPERATION);
    }
    const elementSize = (destination as Uint8Array).BYTES_PER_ELEMENT ?? 1;
    const start = destination.byteOffset + destinationOffset * elementSize;
    const rowBytes = width * 4;
    if (start + rowBytes * height > destination.byteOffset + destination.byteLength) {
      return this.#setError(GL_INVALID_OPERATION);
    }
    const out = new Uint8Array(destination.buffer, start, rowBytes * height);
    const src = texture.pixels;
    if (x === 0 && width === texture.width) {
      out.set(src.subarray(y * rowBytes, (y + height) * rowBytes));
      return;
    }
    const srcStride = texture.width * 4;
    for (let row = 0; row < height; row++) {
      const from = (y + row) * srcStride + x * 4;
      out.set(src.subarray(from, from + rowBytes), row * rowBytes);
    }
  }

  #setError(code: number): void {
    if (this.#error === GL_NO_ERROR) this.#error = code;
  }
}

/**
 * Sets {@linkcode CpuWebGL2Context} as `globalThis.WebGL2RenderingContext`
 * unless a WebGL2 implementation already exists. Emscripten's GL layer picks
 * the WebGL version by that global. The only global this module sets.
 */
export function installWebGL2StandIn(): void {
  const global = globalThis as { WebGL2RenderingContext?: unknown };
  if (global.WebGL2RenderingContext === undefined) {
    global.WebGL2RenderingContext = CpuWebGL2Context;
  }
}

/**
 * Creates a canvas whose `getContext("webgl2")` always returns the same
 * {@linkcode CpuWebGL2Context}: one canvas per task, as MediaPipe expects.
 */
export function createCpuCanvas(): CpuCanvas {
  let context: CpuWebGL2Context | null = null;
  const getContext = (kind: string, attributes?: Record<string, unknown>) => {
    if (kind !== "webgl2") return null;
    context ??= new CpuWebGL2Context(canvas, attributes);
    return context;
  };
  const canvas: CpuCanvas = {
    width: 1,
    height: 1,
    getContext,
    getContextSafariWebGL2Fixed: getContext,
  };
  return canvas;
}
