// Backend selection when the native engine cannot load, in real child processes: the real addon is
// loaded with a damaged TensorFlow C library in front of it on the loader path (LD_LIBRARY_PATH is
// searched before the addon's RUNPATH), so dlopen itself fails, as with a broken or half-copied
// install. "auto" must fall back to wasm and the run must record why; a forced "tensorflow" must
// fail with a message that says what to do.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/paths";

let tmp: string;
let env: NodeJS.ProcessEnv;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-fallback-"));
  const broken = path.join(tmp, "lib");
  fs.mkdirSync(broken);
  // An empty file where the loader looks first: "file too short", a genuine dlopen failure.
  fs.writeFileSync(path.join(broken, "libtensorflow_cc.so.2"), "");
  env = { ...process.env, LD_LIBRARY_PATH: broken, TS_NODE_TRANSPILE_ONLY: "1", AE_QUICK: "1" };
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runScript(source: string): { status: number | null; stdout: string; stderr: string } {
  const file = path.join(tmp, `probe-${Math.random().toString(36).slice(2)}.ts`);
  fs.writeFileSync(file, source);
  const r = spawnSync(process.execPath, ["--require", "ts-node/register/transpile-only", file], {
    cwd: PROJECT_ROOT,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const select = JSON.stringify(path.join(PROJECT_ROOT, "lib/backend/select"));

test("auto falls back to wasm when TensorFlow's C library cannot be loaded, and says why", () => {
  const r = runScript(
    `import { initBackend, describeBackend } from ${select};\n` +
      `initBackend("auto").then((info) => console.log(JSON.stringify({ ...info, line: describeBackend(info) })));\n`,
  );
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
    name: string;
    skipped: string[];
    line: string;
  };
  assert.equal(info.name, "wasm");
  assert.equal(info.skipped.length, 1);
  assert.match(info.skipped[0], /^tensorflow: TensorFlow's C library could not be loaded/);
  assert.match(info.skipped[0], /file too short/);
  assert.match(info.skipped[0], /run bash scripts\/setup\.sh/);
  assert.equal(info.line, "wasm (skipped tensorflow)");
});

test("a forced tensorflow backend fails with a BackendError naming the cause and the fix", () => {
  const r = runScript(
    `import { initBackend, BackendError } from ${select};\n` +
      `initBackend("tensorflow").then(() => console.log("started"), (e) => ` +
      `console.log(JSON.stringify({ typed: e instanceof BackendError, message: e.message })));\n`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /started/);
  const error = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
    typed: boolean;
    message: string;
  };
  assert.ok(error.typed, "a BackendError");
  assert.match(error.message, /Could not start the "tensorflow" backend/);
  assert.match(error.message, /libtensorflow_cc\.so\.2: file too short/);
  assert.match(error.message, /bash scripts\/setup\.sh/);
});

test("a run trained through the fallback records the backend that ran and the reason", () => {
  const runsDir = path.join(tmp, "runs");
  const r = spawnSync(
    process.execPath,
    [
      "--require",
      "ts-node/register/transpile-only",
      path.join(PROJECT_ROOT, "scripts/train.ts"),
      "--run",
      "fell-back",
      "--train.runsDir",
      runsDir,
      "--epochs",
      "1",
      "--data.trainLimit",
      "600",
      "--hidden",
      "16",
    ],
    { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 180_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const record = JSON.parse(
    fs.readFileSync(path.join(runsDir, "fell-back", "run.json"), "utf8"),
  ) as { status: string; backend: string; backendFallback?: string[] };
  assert.equal(record.status, "completed");
  assert.equal(record.backend, "wasm (skipped tensorflow)");
  assert.equal(record.backendFallback?.length, 1);
  assert.match(record.backendFallback?.[0] ?? "", /^tensorflow: .*file too short/);
});
