/**
 * Starts MediaPipe's WebAssembly runtime in Deno, where the bundle's own
 * loader (a script tag or `importScripts`) cannot run.
 *
 * @module
 */

import { VisionRuntimeError } from "./errors.ts";
import { type CpuCanvas, createCpuCanvas, installWebGL2StandIn } from "./_webgl2_stand_in.ts";

const WASM_BINARY = "@mediapipe/tasks-vision/vision_wasm_module_internal.wasm";

type ModuleFactory = (module?: unknown) => Promise<unknown>;

/** MediaPipe's `WasmFileset` (declared but not exported by its typings). */
export interface WasmFileset {
  /** URL of the wasm glue script; empty because we import the glue ourselves. */
  wasmLoaderPath: string;
  /** URL of the `.wasm` binary. */
  wasmBinaryPath: string;
}

interface Runtime {
  factory: ModuleFactory;
  fileset: WasmFileset;
}

let runtime: Promise<Runtime> | undefined;
// Creating a task reads and then clears `globalThis.ModuleFactory`:
// creations run one at a time so each finds the factory set.
let creations: Promise<unknown> = Promise.resolve();

async function loadRuntime(): Promise<Runtime> {
  let wasmBinaryPath: string;
  try {
    wasmBinaryPath = import.meta.resolve(WASM_BINARY);
  } catch (cause) {
    throw new VisionRuntimeError(
      `Cannot locate ${WASM_BINARY}: it does not resolve (add "@mediapipe/tasks-vision" ` +
        `to the import map and run \`deno install\`)`,
      { cause },
    );
  }
  if (!/^(file|https?):/.test(wasmBinaryPath)) {
    throw new VisionRuntimeError(
      `Cannot load the MediaPipe wasm from ${wasmBinaryPath}: only file: and http(s): URLs ` +
        `can be fetched (set "nodeModulesDir": "auto" in deno.json so npm packages live on disk)`,
    );
  }
  let glue: { default?: unknown };
  try {
    // The glue also sets globalThis.ModuleFactory and globalThis.custom_dbg.
    glue = await import("@mediapipe/tasks-vision/vision_wasm_module_internal.js");
  } catch (cause) {
    throw new VisionRuntimeError(
      "Cannot load @mediapipe/tasks-vision/vision_wasm_module_internal.js: " +
        `${(cause as Error)?.message ?? cause} (run \`deno install\`)`,
      { cause },
    );
  }
  const factory = glue.default ?? (globalThis as { ModuleFactory?: unknown }).ModuleFactory;
  if (typeof factory !== "function") {
    throw new VisionRuntimeError(
      "Cannot start MediaPipe: vision_wasm_module_internal.js exported no ModuleFactory " +
        "(is @mediapipe/tasks-vision at version 1.1.0?)",
    );
  }
  installWebGL2StandIn();
  return {
    factory: factory as ModuleFactory,
    fileset: { wasmLoaderPath: "", wasmBinaryPath },
  };
}

/**
 * Creates a MediaPipe task on the CPU delegate: loads the runtime once,
 * restores `globalThis.ModuleFactory`, and hands `create` a fileset and a
 * fresh canvas backed by the CPU WebGL2 stand-in.
 *
 * @param create Calls the task's `createFromOptions` with the given fileset and canvas.
 * @returns What `create` returned.
 * @throws {VisionRuntimeError} When the wasm runtime cannot be located or loaded.
 */
export function createVisionTask<T>(
  create: (fileset: WasmFileset, canvas: CpuCanvas) => Promise<T>,
): Promise<T> {
  const task = creations.then(async () => {
    runtime ??= loadRuntime();
    let loaded: Runtime;
    try {
      loaded = await runtime;
    } catch (error) {
      runtime = undefined; // let a later call retry, for example after `deno install`
      throw error;
    }
    (globalThis as { ModuleFactory?: unknown }).ModuleFactory = loaded.factory;
    return await create(loaded.fileset, createCpuCanvas());
  });
  creations = task.catch(() => {});
  return task;
}
