// Nothing touches the network unless a download is requested: a child process in which every
// socket and DNS lookup throws loads MNIST and Fashion-MNIST, trains and saves a run; a missing
// dataset without data.download gives a clear error, and only an explicit download tries to connect.
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../lib/paths";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-no-network-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Run `code` (TypeScript, importing the library as `ae`) with the network denied. */
function offline(code: string) {
  const script = path.join(tmp, `job-${Math.random().toString(36).slice(2)}.ts`);
  fs.writeFileSync(
    script,
    `import * as ae from ${JSON.stringify(path.join(PROJECT_ROOT, "lib"))};\n${code}\n`,
  );
  return spawnSync(
    process.execPath,
    [
      "--require",
      "ts-node/register/transpile-only",
      "--require",
      path.join(PROJECT_ROOT, "test/helpers/deny-network.ts"),
      script,
    ],
    {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1", AE_QUICK: "1" },
    },
  );
}

test("loading MNIST and Fashion-MNIST, training and saving a run open no connection", () => {
  const runsDir = path.join(tmp, "runs");
  const r = offline(`
(async () => {
  for (const dataset of ["mnist", "fashion-mnist"] as const) {
    const data = await ae.loadDataset(ae.resolveConfig({ data: { dataset } }).data);
    console.log(dataset, data.train.count, data.test.count);
  }
  const config = ae.resolveConfig({ data: { trainLimit: 300, testLimit: 100 }, model: { hiddenSizes: [16] },
    train: { epochs: 1, runName: "offline", runsDir: ${JSON.stringify(runsDir)}, backend: "wasm" } });
  const result = await ae.runExperiment(config);
  result.model.dispose();
  console.log("status", ae.loadRun("offline", ${JSON.stringify(runsDir)}).record.status);
})().catch((e) => { console.error(e); process.exit(1); });`);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /NETWORK ATTEMPT/);
  assert.match(r.stdout, /mnist 60000 10000/);
  assert.match(r.stdout, /fashion-mnist 60000 10000/);
  assert.match(r.stdout, /status completed/);
});

test("a missing dataset without data.download: an error naming the fix, and no connection", () => {
  const dataDir = path.join(tmp, "empty-data");
  const r = offline(`
ae.loadDataset(ae.resolveConfig({ data: { dataset: "cifar10", dataDir: ${JSON.stringify(dataDir)}, download: false } }).data)
  .then(() => process.exit(3), (e) => { console.log(e.constructor.name + ": " + e.message); });`);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /NETWORK ATTEMPT/);
  assert.match(r.stdout, /data\.download/);
});

test("the guard works: an explicitly requested download is the one thing that tries to connect", () => {
  const dataDir = path.join(tmp, "download-data");
  const r = offline(`
ae.loadDataset(ae.resolveConfig({ data: { dataset: "cifar10", dataDir: ${JSON.stringify(dataDir)}, download: true } }).data)
  .then(() => process.exit(3), (e) => { console.log("failed: " + e.message); });`);
  assert.match(r.stderr, /NETWORK ATTEMPT/);
  assert.equal(
    fs.existsSync(path.join(dataDir, "cifar10", "cifar-10-binary.tar.gz")),
    false,
    "nothing half-downloaded is left as a complete file",
  );
});
