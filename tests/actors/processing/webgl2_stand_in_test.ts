import assert from "node:assert/strict";
import {
  CpuWebGL2Context,
  createCpuCanvas,
  installWebGL2StandIn,
} from "../../../actors/processing/_webgl2_stand_in.ts";

/** Uploads a width x height RGBA image whose bytes count up, and binds it for reading. */
function contextWithImage(width: number, height: number): {
  gl: CpuWebGL2Context;
  pixels: Uint8ClampedArray;
} {
  const gl = createCpuCanvas().getContext("webgl2")!;
  const pixels = new Uint8ClampedArray(width * height * 4).map((_, i) => i % 251);
  gl.activeTexture(gl.TEXTURE0);
  const texture = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, {
    width,
    height,
    data: pixels,
  });
  gl.bindFramebuffer(gl.FRAMEBUFFER, gl.createFramebuffer());
  gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
  assert.equal(gl.getError(), gl.NO_ERROR);
  return { gl, pixels };
}

Deno.test("installWebGL2StandIn() makes the stand-in pass MediaPipe's instanceof check", () => {
  installWebGL2StandIn();
  const WebGL2 = (globalThis as { WebGL2RenderingContext?: unknown }).WebGL2RenderingContext;
  assert.equal(WebGL2, CpuWebGL2Context);
  const canvas = createCpuCanvas();
  const gl = canvas.getContext("webgl2");
  assert.ok(gl instanceof (WebGL2 as typeof CpuWebGL2Context));
  assert.equal(canvas.getContext("webgl2"), gl, "one context per canvas");
  assert.equal(canvas.getContext("2d"), null);
});

Deno.test("readPixels writes at the heap offset it is given, rows in upload order, and nowhere else", () => {
  const { gl, pixels } = contextWithImage(5, 3);
  const heap = new Uint8Array(200).fill(0xee);
  gl.readPixels(0, 0, 5, 3, gl.RGBA, gl.UNSIGNED_BYTE, heap, 37);
  assert.deepEqual(heap.subarray(37, 37 + 60), new Uint8Array(pixels));
  assert.ok(heap.subarray(0, 37).every((b) => b === 0xee), "bytes before the offset untouched");
  assert.ok(heap.subarray(97).every((b) => b === 0xee), "bytes after the image untouched");
});

Deno.test("readPixels offsets count elements of the heap view, as Emscripten passes them", () => {
  const { gl, pixels } = contextWithImage(2, 2);
  const heap32 = new Uint32Array(16);
  gl.readPixels(0, 0, 2, 2, gl.RGBA, gl.UNSIGNED_BYTE, heap32, 3);
  assert.deepEqual(new Uint8Array(heap32.buffer, 12, 16), new Uint8Array(pixels));
});

Deno.test("readPixels copies a sub-rectangle row by row", () => {
  const { gl, pixels } = contextWithImage(4, 3);
  const out = new Uint8Array(2 * 2 * 4);
  gl.readPixels(1, 1, 2, 2, gl.RGBA, gl.UNSIGNED_BYTE, out, 0);
  const row = (y: number) => Array.from(pixels.subarray((y * 4 + 1) * 4, (y * 4 + 3) * 4));
  assert.deepEqual(Array.from(out), [...row(1), ...row(2)]);
});

Deno.test("texImage2D copies its source, so refilling the caller's buffer changes nothing", () => {
  const { gl, pixels } = contextWithImage(2, 1);
  const before = new Uint8Array(pixels);
  pixels.fill(0);
  const out = new Uint8Array(8);
  gl.readPixels(0, 0, 2, 1, gl.RGBA, gl.UNSIGNED_BYTE, out, 0);
  assert.deepEqual(out, before);
});

Deno.test("the stand-in records GL errors for what it cannot do instead of writing anything", () => {
  const { gl } = contextWithImage(2, 2);
  const out = new Uint8Array(16).fill(7);
  gl.readPixels(0, 0, 2, 2, gl.RGBA, 0x1406, /* FLOAT */ out, 0);
  assert.equal(gl.getError(), 0x0500 /* INVALID_ENUM */);
  gl.readPixels(1, 1, 2, 2, gl.RGBA, gl.UNSIGNED_BYTE, out, 0);
  assert.equal(gl.getError(), 0x0502 /* INVALID_OPERATION: outside the texture */);
  assert.ok(out.every((b) => b === 7));
  assert.equal(gl.getParameter(0x1234), null);
  assert.equal(gl.getError(), 0x0500);
  assert.equal(gl.getError(), gl.NO_ERROR, "getError clears the flag");
  assert.throws(
    () =>
      (gl.texImage2D as (...args: unknown[]) => void)(
        gl.TEXTURE_2D,
        0,
        gl.RGBA,
        2,
        2,
        0,
        gl.RGBA,
        gl.UNSIGNED_BYTE,
        null,
      ),
    /supports only texImage2D\(target, level, internalFormat, format, type, source\)/,
  );
});
