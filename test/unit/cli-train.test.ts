// The training CLI as a user meets it, in real child processes: Ctrl-C (SIGINT) stops within a
// batch and keeps a resumable checkpoint; two trainings started at once under one run name never
// write into each other; --help lists every config key; a bad flag names the key.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FIELDS } from "../../lib/config";
import { PROJECT_ROOT } from "../../lib/paths";

const ARGS = [
  "--require",
  "ts-node/register/transpile-only",
  path.join(PROJECT_ROOT, "scripts/train.ts"),
];
const env = { ...process.env, AE_QUICK: "1", TS_NODE_TRANSPILE_ONLY: "1" };
let runsDir: string;
before(() => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-cli-"));
});
after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

const flags = (run: string, epochs = 6) => [
  "--run",
  run,
  "--train.runsDir",
  runsDir,
  "--epochs",
  String(epochs),
  "--data.trainLimit",
  "1500",
  "--hidden",
  "32",
];

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

test(
  "SIGINT stops training after the current batch: exit 130, run 'interrupted', checkpoint kept, resume completes",
  { timeout: 240_000 },
  async () => {
    const child = spawn(process.execPath, [...ARGS, ...flags("ctrl-c")], {
      cwd: PROJECT_ROOT,
      env,
    });
    let sent = false;
    child.stderr.on("data", (c: Buffer) => {
      if (!sent && /epoch 1\/6 /.test(c.toString())) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const { code, stderr } = await exited(child);
    assert.ok(sent, "training reached epoch 1");
    assert.equal(code, 130, stderr);
    assert.match(stderr, /stopping after this batch/);
    const folder = path.join(runsDir, "ctrl-c");
    const record = JSON.parse(fs.readFileSync(path.join(folder, "run.json"), "utf8"));
    assert.equal(record.status, "interrupted");
    assert.ok(record.epochsDone >= 1 && record.epochsDone < 6);
    assert.ok(fs.existsSync(path.join(folder, "checkpoint", "state.json")));
    assert.ok(!fs.existsSync(path.join(folder, ".lock")), "lock released");
    const resumed = spawnSync(process.execPath, [...ARGS, "--resume", ...flags("ctrl-c")], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
    });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.equal(
      JSON.parse(fs.readFileSync(path.join(folder, "run.json"), "utf8")).status,
      "completed",
    );
    assert.equal(JSON.parse(fs.readFileSync(path.join(folder, "history.json"), "utf8")).length, 6);
  },
);

test(
  "two trainings started at once with the same run name: one runs, the other stops with a clear error and writes nothing",
  { timeout: 240_000 },
  async () => {
    const start = () =>
      spawn(process.execPath, [...ARGS, ...flags("contested", 2)], { cwd: PROJECT_ROOT, env });
    const [a, b] = await Promise.all([exited(start()), exited(start())]);
    const results = [a, b].sort((x, y) => (x.code ?? 99) - (y.code ?? 99));
    assert.equal(results[0].code, 0, results[0].stderr);
    assert.equal(results[1].code, 1, results[1].stderr);
    assert.match(
      results[1].stderr,
      /error: Run "contested" (is in use by process \d+|already exists)/,
    );
    const folder = path.join(runsDir, "contested");
    const record = JSON.parse(fs.readFileSync(path.join(folder, "run.json"), "utf8"));
    assert.equal(record.status, "completed");
    assert.equal(JSON.parse(fs.readFileSync(path.join(folder, "history.json"), "utf8")).length, 2);
    assert.deepEqual(
      fs.readdirSync(folder).filter((f) => f.includes(".tmp")),
      [],
      "no temporary files left",
    );
  },
);

test("--help lists every config key; a bad flag value names the key and exits 1", () => {
  const help = spawnSync(process.execPath, [...ARGS, "--help"], {
    cwd: PROJECT_ROOT,
    env,
    encoding: "utf8",
  });
  assert.equal(help.status, 0);
  for (const key of Object.keys(FIELDS)) assert.ok(help.stdout.includes(`--${key}`), key);
  const bad = spawnSync(process.execPath, [...ARGS, "--latent", "0"], {
    cwd: PROJECT_ROOT,
    env,
    encoding: "utf8",
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /error: Config key "model\.codeSize": got 0, must be at least 1/);
});
