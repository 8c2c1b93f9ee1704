/**
 * Speed of the conv filter gradient we register for wasm (lib/backend/wasm/conv-gradient.ts), for the
 * conv autoencoder's real shapes at batch 256, and of a whole conv-autoencoder train step.
 * Run: npx ts-node --transpile-only bench/conv-gradient.ts [--steps N] [--cpu-batch N] [--no-cpu]
 * (≈ 2 minutes, mostly the cpu backend's filter gradient: ~70 s for one call; --no-cpu skips it).
 * Prints figures; asserts nothing. Inputs are random (speed does not depend on the pixels).
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import {
  registerWasmConvGradients,
  setConvFilterGradientMethod,
} from "../lib/backend/wasm/conv-gradient";
import {
  setConvBackpropInputMethod,
  type ConvBackpropInputMethod,
} from "../lib/backend/wasm/conv-backprop-input";

const BATCH = 256;
type Shape4D = [number, number, number, number];

/** The filter gradients of the model: each encoder conv, and its mirror transposed conv in the decoder. */
const LAYERS: Array<{ name: string; x: Shape4D; dy: Shape4D; filter: Shape4D }> = [
  {
    name: "28×28×1 → 14×14×32 (and its transposed mirror)",
    x: [BATCH, 28, 28, 1],
    dy: [BATCH, 14, 14, 32],
    filter: [3, 3, 1, 32],
  },
  {
    name: "14×14×32 → 7×7×64 (and its transposed mirror)",
    x: [BATCH, 14, 14, 32],
    dy: [BATCH, 7, 7, 64],
    filter: [3, 3, 32, 64],
  },
];

/** Median milliseconds of `reps` runs of `run` (after an optional warm-up); each result is read and disposed. */
async function timeMs(run: () => tf.Tensor, reps: number, warmUp = true): Promise<number> {
  const once = async () => {
    const start = performance.now();
    const out = run();
    await out.data();
    out.dispose();
    return performance.now() - start;
  };
  if (warmUp) await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function filterGradient(x: tf.Tensor, dy: tf.Tensor, filterShape: Shape4D): tf.Tensor {
  return tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
    filterShape,
    strides: 2,
    pad: "same",
    dataFormat: "NHWC",
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * The formulation we did not keep, for comparison: for each tap a strided slice of the padded
 * input [M, Ci], an explicit transpose, and a plain matMul with dy [M, Co].
 */
function filterGradientPerTap(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: Shape4D): tf.Tensor {
  return tf.tidy(() => {
    const [n, h, w, ci] = x.shape;
    const [, oH, oW, co] = dy.shape;
    const [fH, fW] = filterShape;
    const padH = Math.max((oH - 1) * 2 + fH - h, 0);
    const padW = Math.max((oW - 1) * 2 + fW - w, 0);
    const xPad = tf.pad(x, [
      [0, 0],
      [Math.floor(padH / 2), padH - Math.floor(padH / 2)],
      [Math.floor(padW / 2), padW - Math.floor(padW / 2)],
      [0, 0],
    ]);
    const dy2 = tf.reshape(dy, [n * oH * oW, co]);
    const taps: tf.Tensor[] = [];
    for (let kh = 0; kh < fH; kh++) {
      for (let kw = 0; kw < fW; kw++) {
        const tap = tf.stridedSlice(
          xPad,
          [0, kh, kw, 0],
          [n, kh + (oH - 1) * 2 + 1, kw + (oW - 1) * 2 + 1, ci],
          [1, 2, 2, 1],
        );
        taps.push(tf.matMul(tf.transpose(tf.reshape(tap, [n * oH * oW, ci])), dy2));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

/** The conv autoencoder of the project's model: two stride-2 convs, a linear 64-d code, the mirror back up. */
function convAutoencoder(): tf.LayersModel {
  const conv = { kernelSize: 3, strides: 2, padding: "same" as const };
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, activation: "relu", ...conv }),
      tf.layers.conv2d({ filters: 64, activation: "relu", ...conv }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64 }),
      tf.layers.dense({ units: 7 * 7 * 64, activation: "relu" }),
      tf.layers.reshape({ targetShape: [7, 7, 64] }),
      tf.layers.conv2dTranspose({ filters: 32, activation: "relu", ...conv }),
      tf.layers.conv2dTranspose({ filters: 1, ...conv }),
    ],
  });
}

/** Samples per second of forward + backward + Adam on batches of `batch`, on the active backend. */
async function trainStepSamplesPerSecond(
  batch: number,
  steps: number,
  warmUp = true,
): Promise<number> {
  const model = convAutoencoder();
  const optimizer = tf.train.adam(1e-3);
  const x = tf.tidy(() => tf.round(tf.randomUniform([batch, 28, 28, 1], 0, 1, "float32", 1)));
  const step = async () => {
    const loss = optimizer.minimize(
      () => tf.losses.sigmoidCrossEntropy(x, model.apply(x) as tf.Tensor) as tf.Scalar,
      true,
    ) as tf.Scalar;
    await loss.data();
    loss.dispose();
  };
  if (warmUp) await step();
  const start = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - start) / 1000;
  x.dispose();
  optimizer.dispose();
  model.dispose();
  return (steps * batch) / seconds;
}

function wasmHeapMB(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return backend.wasm ? backend.wasm.HEAPU8.length / 2 ** 20 : NaN;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const fmt = (ms: number | undefined) => (ms === undefined ? "-" : ms.toFixed(1)).padStart(8);

async function main(): Promise<void> {
  const steps = flag("--steps", 5);
  const cpuBatch = flag("--cpu-batch", 32);
  const withCpu = !process.argv.includes("--no-cpu");
  const dist = path.dirname(
    require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  );
  wasm.setWasmPaths(dist + path.sep);
  await tf.setBackend("wasm");
  console.log(`tfjs ${tf.version.tfjs}, wasm SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}`);

  // conv2dTranspose's forward pass is the Conv2DBackpropInput kernel (so is conv2d's input gradient).
  registerWasmConvGradients();
  const inputMethods: ConvBackpropInputMethod[] = ["auto", "dilated", "original"];
  console.log(
    "\nConv2DBackpropInput on wasm (conv2dTranspose forward, conv2d input gradient), batch 256, median ms:",
  );
  console.log(
    `${"layer".padEnd(48)} ${["auto", "dilated", "tfjs"].map((c) => c.padStart(8)).join(" ")}`,
  );
  for (const layer of LAYERS) {
    const code = tf.randomNormal(layer.dy) as tf.Tensor4D;
    const filter = tf.randomNormal(layer.filter) as tf.Tensor4D;
    const ms: number[] = [];
    for (const method of inputMethods) {
      setConvBackpropInputMethod(method);
      ms.push(await timeMs(() => tf.conv2dTranspose(code, filter, layer.x, 2, "same"), 7));
    }
    setConvBackpropInputMethod("auto");
    tf.dispose([code, filter]);
    console.log(`${layer.name.padEnd(48)} ${ms.map(fmt).join(" ")}`);
  }

  console.log(
    "\nFilter gradient (Conv2DBackpropFilter), batch 256, 3×3 stride 2 'same', ms (wasm: median of 9, cpu: 1 run):",
  );
  const columns = ["auto", "im2col", "dilated", "per-tap", "cpu"];
  console.log(
    `${"layer".padEnd(48)} ${columns.map((c) => c.padStart(8)).join(" ")} ${"cpu/auto".padStart(9)}`,
  );
  for (const layer of LAYERS) {
    const [, oH, oW] = layer.dy;
    const gflop = (2 * BATCH * oH * oW * layer.filter.reduce((a, b) => a * b, 1)) / 1e9;
    const ms: Record<string, number> = {};
    for (const backend of withCpu ? ["wasm", "cpu"] : ["wasm"]) {
      await tf.setBackend(backend);
      const x = tf.randomNormal(layer.x, 0, 1, "float32", 1) as tf.Tensor4D;
      const dy = tf.randomNormal(layer.dy, 0, 1, "float32", 2) as tf.Tensor4D;
      if (backend === "wasm") {
        for (const method of ["auto", "im2col", "dilated"] as const) {
          setConvFilterGradientMethod(method);
          ms[method] = await timeMs(() => filterGradient(x, dy, layer.filter), 9);
        }
        setConvFilterGradientMethod("auto");
        ms["per-tap"] = await timeMs(() => filterGradientPerTap(x, dy, layer.filter), 3);
      } else {
        ms.cpu = await timeMs(() => filterGradient(x, dy, layer.filter), 1, false);
      }
      tf.dispose([x, dy]);
    }
    console.log(
      `${layer.name.padEnd(48)} ${columns.map((c) => fmt(ms[c])).join(" ")} ${(ms.cpu / ms.auto).toFixed(0).padStart(8)}×` +
        `   (${gflop.toFixed(2)} GFLOP, auto ${(gflop / (ms.auto / 1000)).toFixed(1)} GFLOP/s)`,
    );
  }

  await tf.setBackend("wasm");
  const heapBefore = wasmHeapMB();
  const x = tf.randomNormal(LAYERS[1].x) as tf.Tensor4D;
  const dy = tf.randomNormal(LAYERS[1].dy) as tf.Tensor4D;
  for (let i = 0; i < 50; i++) filterGradient(x, dy, LAYERS[1].filter).dispose();
  tf.dispose([x, dy]);
  console.log(
    `\nwasm heap ${heapBefore.toFixed(0)} MB before, ${wasmHeapMB().toFixed(0)} MB after 50 more gradients`,
  );

  console.log("\nConv autoencoder train step (forward + backward + Adam):");
  let cpu = NaN;
  if (withCpu) {
    // The cpu conv kernels are per-element loops: samples/s hardly depends on the batch, and a
    // batch of 256 takes minutes.
    await tf.setBackend("cpu");
    cpu = await trainStepSamplesPerSecond(cpuBatch, 1, false);
    console.log(
      `  cpu, batch ${cpuBatch}, 1 step                   ${cpu.toFixed(1).padStart(8)} samples/s`,
    );
  }
  await tf.setBackend("wasm");
  const plain = await trainStepSamplesPerSecond(BATCH, steps);
  const label = `batch ${BATCH}, ${steps} steps`;
  console.log(
    `  wasm, ${label.padEnd(30)} ${plain.toFixed(1).padStart(8)} samples/s  (${(plain / cpu).toFixed(0)}× cpu)`,
  );
  // The dense layers' backward pass asks for transposed matMuls, slow on wasm; lib/backend has a
  // fix (another module, maybe absent): measure with it too when it is there.
  const fastPath = await import("../lib/backend/wasm/matmul").catch(() => null);
  if (fastPath && typeof fastPath.installWasmMatMulFastPath === "function") {
    fastPath.installWasmMatMulFastPath();
    const fast = await trainStepSamplesPerSecond(BATCH, steps);
    console.log(
      `  wasm + transposed-matMul fix, same ${fast.toFixed(1).padStart(12)} samples/s  (${(fast / cpu).toFixed(0)}× cpu)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
