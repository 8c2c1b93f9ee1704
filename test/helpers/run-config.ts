// A tiny, fast training config writing runs into `runsDir`: for tests of run folders and faults.
import { resolveConfig, type ExperimentConfig } from "../../lib/config";

/** Dense 8×8 model with a 4-number code, 3 epochs of batch 16 on wasm; `train` overrides merge in. */
export function tinyRunConfig(
  name: string,
  runsDir: string,
  train: Record<string, unknown> = {},
): ExperimentConfig {
  return resolveConfig({
    model: { codeSize: 4, hiddenSizes: [16] },
    train: {
      epochs: 3,
      batchSize: 16,
      learningRate: 0.01,
      runName: name,
      runsDir,
      backend: "wasm",
      ...train,
    },
  });
}
