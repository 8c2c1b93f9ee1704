/**
 * A saved run as the report figures see it: its folder contents, plus the test set, the model and
 * the test reconstructions loaded on first use and shared by every figure (nothing is trained).
 */
import type { Autoencoder } from "../model/autoencoder";
import { initBackend } from "../backend/select";
import { loadDataset } from "../data/load";
import { headImages } from "../data/prepare";
import { pixelsPerImage, type ImageSet, type ImageShape } from "../data/types";
import { loadRun, loadRunModel, type LoadedRun } from "../runs/run-folder";
import { reconstructSet } from "../train/evaluate";

/** The run's test set as its training saw it (data.testLimit applied). */
export interface ReportTestSet {
  set: ImageSet;
  shape: ImageShape;
  classNames: string[];
}

export interface ReportRun {
  /** The run's name (its folder's name). */
  name: string;
  /** Record, config, history, metrics. */
  run: LoadedRun;
  /** True when the run trained to the end (a final model and test metrics exist). */
  finished: boolean;
  /** The test set, loaded once. */
  testSet(): Promise<ReportTestSet>;
  /** The final model, loaded once (disposed by dispose()). */
  model(): Promise<Autoencoder>;
  /** Reconstructions of the test set, [count, pixels], computed once. */
  reconstructions(): Promise<Float32Array>;
  /** Free the model's tensors. */
  dispose(): void;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
}

/** Open a run folder (name under `runsDir`, or a path) for the report figures. */
export function openReportRun(nameOrPath: string, runsDir = "runs"): ReportRun {
  const run = loadRun(nameOrPath, runsDir);
  let loadedModel: Autoencoder | undefined;
  const testSet = once(async () => {
    const dataset = await loadDataset(run.config.data);
    return {
      set: headImages(dataset.test, dataset.shape, run.config.data.testLimit ?? Infinity),
      shape: dataset.shape,
      classNames: dataset.classNames,
    };
  });
  const model = once(async () => {
    await initBackend("auto");
    loadedModel = await loadRunModel(run);
    return loadedModel;
  });
  const reconstructions = once(async () => {
    const { set, shape } = await testSet();
    return reconstructSet(await model(), set, pixelsPerImage(shape));
  });
  return {
    name: run.record.name,
    run,
    finished: run.record.status === "completed" || run.record.status === "early-stopping",
    testSet,
    model,
    reconstructions,
    dispose: () => {
      loadedModel?.dispose();
    },
  };
}
