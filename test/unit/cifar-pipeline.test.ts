// CIFAR-10 (32×32 colour) goes through the same code paths as MNIST: generated batch files in the
// official binary format are loaded, then dense and conv autoencoders train, save, reload and are
// measured (PSNR, SSIM per channel) and drawn, exactly as a real download would be.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveConfig } from "../../lib/config";
import {
  CIFAR_RECORD_BYTES,
  DATASETS,
  loadDataset,
  prepareDataset,
  type CifarDatasetSource,
} from "../../lib/data";
import { psnr } from "../../lib/quality/metrics";
import { imageGridFigure } from "../../lib/plots/images";
import { loadRun, loadRunModel } from "../../lib/runs/run-folder";
import { meanSsim } from "../../lib/quality/ssim";
import { reconstructSet } from "../../lib/model/inference";
import { runExperiment } from "../../lib/train/experiment";
import { useTestBackend } from "../helpers/backend";
import { createRng } from "../../lib/random";

let tmp = "";
before(async () => {
  await useTestBackend();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ae-cifar-pipeline-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `count` records: a smooth colour gradient per class plus noise, channel-planar as in CIFAR. */
function batch(count: number, seed: number): Buffer {
  const rng = createRng(seed);
  const bytes = Buffer.alloc(count * CIFAR_RECORD_BYTES);
  for (let r = 0; r < count; r++) {
    const label = rng.int(10);
    bytes[r * CIFAR_RECORD_BYTES] = label;
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) {
        const [y, x] = [Math.floor(p / 32), p % 32];
        const v = 128 + 100 * Math.sin((x * (c + 1) + y * (label + 1)) / 9) + 20 * rng.normal();
        bytes[r * CIFAR_RECORD_BYTES + 1 + c * 1024 + p] = Math.max(
          0,
          Math.min(255, Math.round(v)),
        );
      }
    }
  }
  return bytes;
}

const sha = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");

test(
  "generated CIFAR-10 files: load, train dense and conv, reload, measure, draw",
  { timeout: 240_000 },
  async () => {
    const folder = path.join(tmp, "cifar-10-batches-bin");
    fs.mkdirSync(folder);
    const trainBins = [1, 2, 3, 4, 5].map((i) => batch(40, i));
    const testBin = batch(30, 99);
    trainBins.forEach((b, i) => fs.writeFileSync(path.join(folder, `data_batch_${i + 1}.bin`), b));
    fs.writeFileSync(path.join(folder, "test_batch.bin"), testBin);
    // The official table with this test's file sizes and checksums (the real files are 10,000 records).
    const official = DATASETS.cifar10 as CifarDatasetSource;
    const source: CifarDatasetSource = {
      ...official,
      trainFiles: trainBins.map((b, i) => ({
        name: `data_batch_${i + 1}.bin`,
        size: b.length,
        sha256: sha(b),
      })),
      testFiles: [{ name: "test_batch.bin", size: testBin.length, sha256: sha(testBin) }],
    };
    const runsDir = path.join(tmp, "runs");
    const base = resolveConfig({
      data: { dataset: "cifar10", folder, download: false, validationFraction: 0.2 },
      train: { epochs: 2, batchSize: 16, runsDir, backend: "wasm" },
    });
    const dataset = await loadDataset(base.data, { source });
    assert.deepEqual(dataset.shape, { height: 32, width: 32, channels: 3 });
    assert.equal(dataset.train.count, 200);
    assert.equal(dataset.test.count, 30);

    for (const kind of ["dense", "conv"] as const) {
      const config = resolveConfig(
        {
          model: { kind, codeSize: 16, hiddenSizes: [64], convFilters: [4, 8] },
          train: { runName: `cifar-${kind}` },
        },
        base,
      );
      const data = prepareDataset(dataset, config.data, config.seed);
      const result = await runExperiment(config, { data });
      result.model.dispose();
      const run = loadRun(`cifar-${kind}`, runsDir);
      assert.equal(run.record.status, "completed");
      assert.equal(run.record.dataset.name, "cifar10");
      assert.ok(run.history.every((h) => Number.isFinite(h.valLoss)));

      const model = await loadRunModel(run);
      const pixels = 32 * 32 * 3;
      const recon = reconstructSet(model, data.test, pixels);
      assert.equal(recon.length, 30 * pixels);
      const quality = psnr(data.test.images, recon, pixels);
      const structural = meanSsim(data.test.images, recon, data.shape);
      assert.ok(Number.isFinite(quality) && quality > 0, `${kind} PSNR ${quality}`);
      assert.ok(structural > -1 && structural < 1, `${kind} SSIM ${structural}`);
      const fig = imageGridFigure(
        [[data.test.images.subarray(0, pixels), recon.subarray(0, pixels)]],
        data.shape,
      );
      assert.equal(fig.data[0].type, "image");
      model.dispose();
    }
  },
);
