/**
 * The import rule, checked: every source file's imports, read from Deno's own
 * module graph (`deno info --json`), must follow the direction README.md's
 * "How it is built" states, reach no other folder's private `_` file, and
 * form no cycle. Part of `deno task check`; exits 1 naming each offence.
 *
 * Run: deno run --allow-read --allow-run --allow-write --allow-env .ci/check_imports.ts
 *
 * @module
 */

import { relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));

/**
 * The layers, lowest first. A file may import files of its own layer and of
 * the layers listed in its `uses`; nothing else of the project. Tests may
 * import anything.
 */
const LAYERS: readonly { name: string; match: (path: string) => boolean; uses: string[] }[] = [
  {
    name: "actor runtime",
    match: (p) => p.startsWith("actors/") && !p.slice("actors/".length).includes("/"),
    uses: [],
  },
  { name: "capture", match: (p) => p.startsWith("capture/"), uses: ["actor runtime"] },
  {
    name: "transports",
    match: (p) => p.startsWith("transports/"),
    uses: ["actor runtime", "capture"],
  },
  {
    name: "processing",
    match: (p) => p.startsWith("actors/processing/"),
    uses: ["actor runtime", "capture"],
  },
  {
    name: "netgear",
    match: (p) => p.startsWith("actors/netgear/"),
    uses: ["actor runtime", "capture", "transports"],
  },
  {
    name: "root",
    match: (p) => p === "mod.ts",
    uses: ["actor runtime", "capture", "transports", "netgear"],
  },
  {
    name: "cli",
    match: (p) => p.startsWith("cli/"),
    uses: ["actor runtime", "capture", "transports", "netgear", "processing", "root"],
  },
  {
    name: "examples",
    match: (p) => p.startsWith("examples/"),
    uses: ["actor runtime", "capture", "transports", "netgear", "processing", "root", "cli"],
  },
];

/** Source files: everything but tests, the CI scripts and node_modules. */
async function sourceFiles(dir = ROOT): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const rel = relative(ROOT, path);
    if (entry.isDirectory) {
      if (["node_modules", "tests", ".git", ".ci", "dist", "assets"].includes(rel)) continue;
      files.push(...await sourceFiles(path));
    } else if (/\.(ts|mjs|js)$/.test(entry.name)) {
      files.push(rel);
    }
  }
  return files.sort();
}

interface GraphModule {
  specifier: string;
  dependencies?: {
    specifier: string;
    code?: { specifier?: string };
    type?: { specifier?: string };
  }[];
}

/** Each source file's project imports (code and type), from Deno's module graph. */
async function importsOf(files: readonly string[]): Promise<Map<string, Set<string>>> {
  const entry = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(pathToFileURL(resolve(ROOT, f)).href)};`).join(
        "\n",
      ),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", resolve(ROOT, "deno.json"), entry],
      stdout: "piped",
      stderr: "piped",
      cwd: ROOT,
    }).output();
    if (!out.success) {
      throw new Error(`deno info failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: GraphModule[] };
    const imports = new Map<string, Set<string>>();
    for (const module of graph.modules) {
      if (!module.specifier.startsWith("file://")) continue;
      const from = relative(ROOT, fileURLToPath(module.specifier));
      if (!files.includes(from)) continue;
      const targets = new Set<string>();
      for (const dependency of module.dependencies ?? []) {
        for (const resolved of [dependency.code?.specifier, dependency.type?.specifier]) {
          if (resolved?.startsWith("file://")) targets.add(relative(ROOT, fileURLToPath(resolved)));
        }
      }
      imports.set(from, targets);
    }
    return imports;
  } finally {
    await Deno.remove(entry);
  }
}

function layerOf(path: string): string | undefined {
  return LAYERS.find((layer) => layer.match(path))?.name;
}

function folderOf(path: string): string {
  return path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
}

/** Import cycles between files, each once, as the files around it. */
function cycles(imports: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of imports.get(file) ?? []) {
      if (!imports.has(next)) continue;
      if (state.get(next) === "open") {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join(" ");
        if (!seen.has(key)) {
          seen.add(key);
          found.push(cycle);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of imports.keys()) if (!state.has(file)) visit(file);
  return found;
}

const files = await sourceFiles();
const imports = await importsOf(files);
const offences: string[] = [];
for (const file of files) {
  const layer = layerOf(file);
  if (layer === undefined) {
    offences.push(`${file}: in no layer of .ci/check_imports.ts; add its folder to LAYERS`);
    continue;
  }
  const allowed = new Set([layer, ...LAYERS.find((l) => l.name === layer)!.uses]);
  for (const target of imports.get(file) ?? []) {
    const targetLayer = layerOf(target);
    if (targetLayer === undefined) {
      offences.push(`${file} imports ${target}, which is outside every layer`);
    } else if (!allowed.has(targetLayer)) {
      offences.push(
        `${file} (${layer}) imports ${target} (${targetLayer}); ${layer} may use ${
          [...allowed].join(", ")
        }`,
      );
    }
    // A private file serves its own folder and, within its layer, the
    // folders below it.
    const name = target.slice(target.lastIndexOf("/") + 1);
    const folder = folderOf(target);
    const below = folder === "." || folderOf(file) === folder ||
      folderOf(file).startsWith(`${folder}/`);
    if (name.startsWith("_") && !(below && targetLayer === layer)) {
      offences.push(`${file} imports ${target}, a private file of another folder`);
    }
  }
}
for (const cycle of cycles(imports)) {
  offences.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
}
if (offences.length > 0) {
  for (const offence of offences) console.error(`check_imports: ${offence}`);
  console.error(`check_imports: ${offences.length} offence(s) in ${files.length} files`);
  Deno.exit(1);
}
console.log(`check_imports: ${files.length} files follow the import rule, no cycles`);
