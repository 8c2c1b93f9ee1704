// Sweeps on a real Ray cluster of two nodes (two raylets) on this machine, on 127.0.0.1 only
// (scripts/ray_loopback_cluster.py): trials run on both nodes; a trial whose training process is
// killed is retried, resumes its checkpoint and ends equal to an uninterrupted twin; ASHA stops a
// clearly bad trial and its run says so; an interrupted sweep resumes and skips finished trials.
// Every Ray process the test starts is stopped in `after`.
import { after, before, test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../../lib/paths";
import { runSweep, sweepPython, type SweepEvent } from "../../lib/sweep/runner";
import { validateSweepSpec, type SweepSpec } from "../../lib/sweep/spec";

interface ClusterInfo {
  address: string;
  nodes: Array<{ id: string; ip: string }>;
}

let cluster: ChildProcessWithoutNullStreams;
let info: ClusterInfo;
let runsDir: string;

before(async () => {
  runsDir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-sweep-cluster-"));
  cluster = spawn(
    sweepPython(),
    [path.join(PROJECT_ROOT, "scripts", "ray_loopback_cluster.py"), "1", "1"],
    { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  cluster.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  info = await new Promise<ClusterInfo>((resolve, reject) => {
    createInterface({ input: cluster.stdout }).once("line", (line) => resolve(JSON.parse(line)));
    cluster.once("exit", (code) => reject(new Error(`cluster exited ${code}: ${stderr}`)));
  });
  console.log(
    `cluster ${info.address}: nodes ${info.nodes.map((n) => n.id.slice(0, 8)).join(", ")}`,
  );
});

after(async () => {
  if (cluster && cluster.exitCode === null) {
    const exited = new Promise((resolve) => cluster.once("exit", resolve));
    cluster.stdin.end();
    cluster.kill("SIGTERM");
    await exited;
  }
  if (runsDir) fs.rmSync(runsDir, { recursive: true, force: true });
});

const TINY = {
  "data.trainLimit": 600,
  "data.testLimit": 100,
  "model.hiddenSizes": [16],
  "model.codeSize": 4,
  "train.batchSize": 32,
};

function spec(raw: Record<string, unknown>): SweepSpec {
  return validateSweepSpec({
    preset: "quick",
    maxFailures: 2,
    ...raw,
    base: { ...TINY, "train.runsDir": runsDir, ...(raw.base as object) },
  });
}

function runJson(folder: string): { status: string; stoppedBy?: string; updatedAt: string } {
  return JSON.parse(fs.readFileSync(path.join(folder, "run.json"), "utf8"));
}

function history(folder: string): Array<{ epoch: number; trainLoss: number; valLoss: number }> {
  return JSON.parse(fs.readFileSync(path.join(folder, "history.json"), "utf8"));
}

test("the cluster is two raylets on loopback only", () => {
  assert.match(info.address, /^127\.0\.0\.1:\d+$/);
  assert.equal(info.nodes.length, 2);
  for (const node of info.nodes) assert.equal(node.ip, "127.0.0.1");
});

test(
  "trials run on both nodes; a killed trial resumes its checkpoint and equals an uninterrupted twin",
  { timeout: 900_000 },
  async () => {
    // Two identical trials (same config, seed and backend) but their names: one is killed.
    const twins = spec({
      name: "twins",
      base: { "train.epochs": 4, "train.batchSize": 8, "train.backend": "wasm" },
      variants: [
        { name: "twin-killed", overrides: {} },
        { name: "twin-whole", overrides: {} },
      ],
    });
    const killedFolder = path.join(runsDir, "twin-killed");
    const nodesSeen = new Set<string>();
    let killedPid = 0;
    const watcher = setInterval(() => {
      if (killedPid) return;
      try {
        // Kill once the checkpoint of epoch 1 (or 2) is complete, before the run ends.
        const state = path.join(killedFolder, "checkpoint", "state.json");
        const done = (JSON.parse(fs.readFileSync(state, "utf8")) as { epoch: number }).epoch;
        const lock = path.join(killedFolder, ".lock");
        if (done >= 1 && done < 3 && fs.existsSync(lock)) {
          killedPid = Number(fs.readFileSync(lock, "utf8"));
          process.kill(killedPid, "SIGKILL");
        }
      } catch {
        // not written yet
      }
    }, 20);
    let result;
    try {
      result = await runSweep(twins, {
        address: info.address,
        onProgress: (_trials, event: SweepEvent) => {
          if (event.event === "result" && typeof event.node_id === "string")
            nodesSeen.add(event.node_id);
        },
      });
    } finally {
      clearInterval(watcher);
    }
    const byRun = new Map(result.trials.map((t) => [t.run, t]));
    console.log(
      `trials per node: ${[...nodesSeen]
        .map(
          (n) =>
            `${n.slice(0, 8)}: ${result.trials
              .filter((t) => t.nodeId === n)
              .map((t) => t.run)
              .join(", ")}`,
        )
        .join("; ")} (last attempts); killed pid ${killedPid}`,
    );
    assert.ok(killedPid > 0, "the killed trial's training process was found and killed");
    assert.deepEqual([...nodesSeen].sort(), info.nodes.map((n) => n.id).sort());
    const killed = byRun.get("twin-killed");
    const whole = byRun.get("twin-whole");
    assert.ok(killed && whole);
    assert.equal(killed.status, "completed");
    assert.equal(whole.status, "completed");
    assert.ok(
      (killed.firstEpoch ?? 1) > 1,
      `the retried attempt resumed from a checkpoint (started at epoch ${killed.firstEpoch})`,
    );
    assert.equal(whole.firstEpoch, 1);
    assert.deepEqual(
      history(killedFolder).map((r) => [r.epoch, r.trainLoss, r.valLoss]),
      history(path.join(runsDir, "twin-whole")).map((r) => [r.epoch, r.trainLoss, r.valLoss]),
    );
  },
);

test(
  "ASHA stops a clearly bad trial, and its run is marked stopped by the scheduler",
  { timeout: 900_000 },
  async () => {
    const asha = spec({
      name: "asha",
      base: { "train.epochs": 3 },
      // Three sensible learning rates first, then one that cannot learn in 3 epochs.
      grid: { "train.learningRate": [0.01, 0.005, 0.003, 1e-7] },
      scheduler: { kind: "asha", gracePeriod: 1, reductionFactor: 2 },
    });
    const result = await runSweep(asha, { address: info.address });
    const bad = result.trials.find(
      (t) => (t.config.params as Record<string, number>)["train.learningRate"] === 1e-7,
    );
    assert.ok(bad?.folder, "the bad trial ran");
    const record = runJson(bad.folder);
    console.log(result.trials.map((t) => `${t.run}: ${t.status} at epoch ${t.epoch}`).join("; "));
    assert.equal(bad.status, "stopped");
    assert.equal(record.status, "stopped");
    assert.equal(record.stoppedBy, "scheduler");
    assert.ok((bad.epoch ?? 3) < 3, "stopped before its last epoch");
    assert.ok(
      !fs.existsSync(path.join(bad.folder, "metrics.json")),
      "a stopped run has no final metrics",
    );
    assert.ok(result.trials.some((t) => t.status === "completed"));
  },
);

test(
  "an interrupted sweep resumes and skips the trials it finished",
  { timeout: 900_000 },
  async () => {
    const raw = {
      name: "resume",
      preset: "quick",
      maxFailures: 2,
      maxConcurrent: 1,
      base: { ...TINY, "train.runsDir": runsDir, "train.epochs": 2 },
      variants: [
        { name: "resume-a", overrides: {} },
        { name: "resume-b", overrides: { "model.codeSize": 6 } },
        { name: "resume-c", overrides: { "model.codeSize": 8 } },
      ],
    };
    const file = path.join(runsDir, "resume.json");
    fs.writeFileSync(file, JSON.stringify(raw));
    const cli = (): {
      child: ReturnType<typeof spawn>;
      done: Promise<{ code: number | null; out: string }>;
    } => {
      const child = spawn(
        process.execPath,
        [
          "--require",
          "ts-node/register/transpile-only",
          "scripts/sweep.ts",
          "--spec",
          file,
          "--address",
          info.address,
        ],
        { cwd: PROJECT_ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" } },
      );
      let out = "";
      child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
      return {
        child,
        done: new Promise((resolve) => child.on("exit", (code) => resolve({ code, out }))),
      };
    };
    // First run: interrupt (Ctrl-C) once the first trial has finished (one trial at a time).
    const first = cli();
    const names = ["resume-a", "resume-b", "resume-c"];
    let finished = "";
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (const name of names) {
          try {
            if (runJson(path.join(runsDir, name)).status === "completed") finished = name;
          } catch {
            // not yet
          }
        }
        if (finished || first.child.exitCode !== null) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
    });
    assert.ok(finished, "a trial finished before the interrupt");
    finished = path.join(runsDir, finished);
    const finishedRecord = runJson(finished);
    first.child.kill("SIGINT");
    const firstEnd = await first.done;
    assert.notEqual(firstEnd.code, 0, firstEnd.out);
    assert.match(firstEnd.out, /interrupted; run it again/);
    // Second run: resumes from Tune's state; the finished trial is not trained again.
    const second = await cli().done;
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /resuming the sweep/);
    assert.deepEqual(runJson(finished), finishedRecord, "the finished run was left as it was");
    for (const name of names) {
      assert.equal(runJson(path.join(runsDir, name)).status, "completed", name);
    }
  },
);
