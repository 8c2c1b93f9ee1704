/**
 * A faster Conv2DBackpropInput for the wasm backend.
 *
 * That kernel computes the input gradient of conv2d and the forward pass of conv2dTranspose. In
 * tfjs-backend-wasm 4.22 it is a plain loop (~2 GMAC/s): ~115-220 ms for the conv autoencoder's
 * 7×7×64 → 14×14×32 layer at batch 256, twice per train step. We run it on XNNPACK instead:
 *
 * - sub-pixel (when strides are equal, nothing is padded before the first row/column and the
 *   output is a whole number of s×s cells, e.g. 'same' with even sizes, as in our model): output
 *   pixel (q·s + rh, q'·s + rw) only meets filter taps ≡ (rh, rw) mod s, so one stride-1
 *   convolution of dy with a rearranged filter [⌈fH/s⌉, ⌈fW/s⌉, Co, s·s·Ci] gives every phase
 *   as channels, and a transpose shuffles them into place. ~4× faster than tfjs for that layer.
 * - dilated convolution (other layouts, ≥ 8 output channels): dy with stride−1 zeros between
 *   rows and columns (a reshape to [N, oH, 1, oW, 1, Co] and a pad), padded by fH−1−padTop,
 *   convolved with the flipped filter. Multiplies the inserted zeros too, still ~2× faster.
 * - the original kernel for the rest (few channels, or a layout that would need a crop: slices
 *   are slow on wasm).
 *
 * bench/conv-gradient.ts measures the three.
 */
import * as tf from "@tensorflow/tfjs";
import { AutoencoderLabError } from "../../errors";

const WASM = "wasm";
const KERNEL_NAME = "Conv2DBackpropInput";
/** Below this many output channels (dx depth) the original loop beats the dilated convolution. */
const MIN_CHANNELS_FOR_CONV = 8;
const WRAPPED = Symbol("conv-backprop-input-via-conv");

type TensorInfo = tf.TensorInfo;
type Shape4D = [number, number, number, number];
type KernelArgs = Parameters<tf.KernelFunc>[0];
type WrappedKernelFunc = tf.KernelFunc & { [WRAPPED]?: true };

interface DisposingBackend {
  disposeData(dataId: object): boolean;
}
interface ReadingBackend {
  readSync(dataId: object): ArrayLike<number>;
}
interface WritingBackend {
  write(values: Float32Array, shape: number[], dtype: "float32"): object;
}

/**
 * "auto" (default): sub-pixel when the layout allows it, else the dilated convolution for ≥ 8
 * output channels, else the original kernel. "dilated" skips sub-pixel and the channel limit;
 * "original" always runs tfjs's kernel. For benchmarks and tests.
 */
export type ConvBackpropInputMethod = "auto" | "dilated" | "original";

let backpropInputMethod: ConvBackpropInputMethod = "auto";

/** Choose how the wasm Conv2DBackpropInput runs (results agree up to float rounding). */
export function setConvBackpropInputMethod(method: ConvBackpropInputMethod): void {
  if (!["auto", "dilated", "original"].includes(method)) {
    throw new AutoencoderLabError(
      `Unknown Conv2DBackpropInput method "${method}": use "auto", "dilated" or "original"`,
    );
  }
  backpropInputMethod = method;
}

function kernelFunc(name: string): tf.KernelFunc {
  const kernel = tf.getKernel(name, WASM);
  if (!kernel)
    throw new AutoencoderLabError(
      `The wasm backend has no ${name} kernel: is @tensorflow/tfjs-backend-wasm loaded?`,
    );
  return kernel.kernelFunc;
}

/** How to run these arguments: sub-pixel or dilated convolution, or null for the original kernel. */
function plan(
  dy: TensorInfo,
  filter: TensorInfo,
  attrs: tf.Conv2DBackpropInputAttrs,
  method: ConvBackpropInputMethod,
) {
  if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || filter.dtype !== "float32")
    return null;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as Shape4D,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  if (!tf.util.arraysEqual(dy.shape, info.outShape) || tf.util.sizeFromShape(dy.shape) === 0)
    return null;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const { outHeight: oH, outWidth: oW, inHeight: H, inWidth: W } = info;
  // Sub-pixel: no padding before the first row/column and a whole number of s×s cells, so the
  // shuffled grid is dx itself (no crop).
  const cellsH = H / sH;
  const cellsW = W / sW;
  if (
    method !== "dilated" &&
    sH === sW &&
    sH > 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    Number.isInteger(cellsH) &&
    Number.isInteger(cellsW) &&
    oH <= cellsH &&
    oW <= cellsW
  ) {
    return {
      kind: "subpixel" as const,
      s: sH,
      tapsH: Math.ceil(fH / sH),
      tapsW: Math.ceil(fW / sW),
      cellsH,
      cellsW,
      info,
    };
  }
  if (info.inChannels < MIN_CHANNELS_FOR_CONV && method === "auto") return null;
  const top = fH - 1 - info.padInfo.top;
  const left = fW - 1 - info.padInfo.left;
  // Zeros needed after the last dy row; the dilation already puts stride−1 there.
  const bottom = H + info.padInfo.top - (oH - 1) * sH - 1 - (sH - 1);
  const right = W + info.padInfo.left - (oW - 1) * sW - 1 - (sW - 1);
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return { kind: "dilated" as const, sH, sW, top, left, bottom, right };
}

/**
 * The sub-pixel filter [tapsH, tapsW, Co, s·s·Ci]: output channel (rh·s + rw)·Ci + ci of tap
 * (jh, jw) is W[rh + (tapsH−1−jh)·s, rw + (tapsW−1−jw)·s, ci, co] (zero past the filter's edge).
 */
function subpixelFilter(
  w: Float32Array,
  info: tf.backend_util.Conv2DInfo,
  s: number,
  tapsH: number,
  tapsW: number,
) {
  const { filterHeight: fH, filterWidth: fW, inChannels: ci, outChannels: co } = info;
  const depth = s * s * ci;
  const out = new Float32Array(tapsH * tapsW * co * depth);
  for (let jh = 0; jh < tapsH; jh++) {
    for (let jw = 0; jw < tapsW; jw++) {
      for (let rh = 0; rh < s; rh++) {
        const kh = rh + (tapsH - 1 - jh) * s;
        if (kh >= fH) continue;
        for (let rw = 0; rw < s; rw++) {
          const kw = rw + (tapsW - 1 - jw) * s;
          if (kw >= fW) continue;
          for (let c = 0; c < ci; c++) {
            const from = ((kh * fW + kw) * ci + c) * co;
            const to = (jh * tapsW + jw) * co * depth + (rh * s + rw) * ci + c;
            for (let o = 0; o < co; o++) out[to + o * depth] = w[from + o];
          }
        }
      }
    }
  }
  return out;
}

function makeKernel(original: tf.KernelFunc): WrappedKernelFunc {
  const wrapped: WrappedKernelFunc = (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    if (backpropInputMethod === "original") return original(args);
    const p = plan(
      dy,
      filter,
      args.attrs as unknown as tf.Conv2DBackpropInputAttrs,
      backpropInputMethod,
    );
    if (!p) return original(args);
    const backend = args.backend;
    const owned: TensorInfo[] = [];
    const run = (
      name: string,
      inputs: tf.NamedTensorInfoMap,
      attrs: tf.NamedAttrMap,
    ): TensorInfo => {
      const out = kernelFunc(name)({ inputs, backend, attrs }) as TensorInfo;
      owned.push(out);
      return out;
    };
    try {
      if (p.kind === "subpixel") {
        const { s, tapsH, tapsW, cellsH, cellsW, info } = p;
        const [, oH, oW] = dy.shape;
        const wValues = (backend as ReadingBackend).readSync(filter.dataId) as Float32Array;
        const shape = [tapsH, tapsW, info.outChannels, s * s * info.inChannels];
        const subFilter: TensorInfo = {
          dataId: (backend as WritingBackend).write(
            subpixelFilter(wValues, info, s, tapsH, tapsW),
            shape,
            "float32",
          ),
          shape,
          dtype: "float32",
        };
        owned.push(subFilter);
        const padded = run(
          "PadV2",
          { x: dy },
          {
            paddings: [
              [0, 0],
              [tapsH - 1, cellsH - oH],
              [tapsW - 1, cellsW - oW],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
        const cells = run(
          "Conv2D",
          { x: padded, filter: subFilter },
          { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] },
        );
        // Pixel shuffle [N, cellsH, cellsW, s, s, Ci] → [N, cellsH, s, cellsW, s, Ci]: a transpose
        // (faster than the DepthToSpace kernel on wasm).
        const n = dy.shape[0];
        const ci = info.inChannels;
        const split = run("Reshape", { x: cells }, { shape: [n * cellsH, cellsW, s, s * ci] });
        const shuffled = run("Transpose", { x: split }, { perm: [0, 2, 1, 3] });
        return kernelFunc("Reshape")({
          inputs: { x: shuffled },
          backend,
          attrs: { shape: [n, cellsH * s, cellsW * s, ci] },
        }) as TensorInfo;
      }
      const [n, oH, oW, co] = dy.shape;
      let dilated = dy;
      if (p.sH > 1 || p.sW > 1) {
        const split = run("Reshape", { x: dy }, { shape: [n, oH, 1, oW, 1, co] });
        const spread = run(
          "PadV2",
          { x: split },
          {
            paddings: [
              [0, 0],
              [0, 0],
              [0, p.sH - 1],
              [0, 0],
              [0, p.sW - 1],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
        dilated = run("Reshape", { x: spread }, { shape: [n, oH * p.sH, oW * p.sW, co] });
      }
      const padded =
        p.top + p.bottom + p.left + p.right === 0
          ? dilated
          : run(
              "PadV2",
              { x: dilated },
              {
                paddings: [
                  [0, 0],
                  [p.top, p.bottom],
                  [p.left, p.right],
                  [0, 0],
                ],
                constantValue: 0,
              },
            );
      const flipped = run("Reverse", { x: filter }, { dims: [0, 1] });
      const swapped = run("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] });
      return kernelFunc("Conv2D")({
        inputs: { x: padded, filter: swapped },
        backend,
        attrs: { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] },
      }) as TensorInfo;
    } finally {
      for (const t of owned) (backend as DisposingBackend).disposeData(t.dataId);
    }
  };
  wrapped[WRAPPED] = true;
  return wrapped;
}

/**
 * Replace the wasm Conv2DBackpropInput kernel by one that runs on XNNPACK convolutions where it
 * can (same results up to float rounding) and falls back to the original elsewhere. Does nothing
 * when tfjs-backend-wasm is not loaded or when already done. registerWasmConvGradients calls it.
 */
export function registerWasmConvBackpropInput(): void {
  const current = tf.getKernel(KERNEL_NAME, WASM);
  if (!current || (current.kernelFunc as WrappedKernelFunc)[WRAPPED]) return;
  tf.unregisterKernel(KERNEL_NAME, WASM);
  tf.registerKernel({ ...current, kernelFunc: makeKernel(current.kernelFunc) });
}
