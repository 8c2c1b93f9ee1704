/**
 * The conv filter gradient the wasm backend lacks.
 *
 * tfjs-backend-wasm 4.22 registers Conv2D and Conv2DBackpropInput but not Conv2DBackpropFilter,
 * so backpropagation to the weights of tf.conv2d (and of conv2dTranspose, whose filter gradient
 * is the same kernel with the roles of input and gradient swapped) fails on wasm.
 *
 * We register that kernel for "wasm", built from kernels the wasm backend runs fast (XNNPACK
 * convolutions, transposes, plain matMuls), in one of two ways:
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} xpad[n, oh·sh + kh, ow·sw + kw, ci] · dy[n, oh, ow, co]
 *
 * - im2col: a depthwise convolution with one-hot filters (same strides and padding as the
 *   forward conv) extracts the patches [N·oH·oW, Ci·fH·fW]; one explicit transpose and a plain
 *   matMul with dy [N·oH·oW, Co] give dW. Best for few input channels.
 * - dilated convolution: read the input as a batch of Ci images with N channels [Ci, Hp, Wp, N]
 *   and dy as a filter [oH, oW, N, Co] dilated by the stride; a stride-1 'valid' convolution
 *   gives [Ci, fH, fW, Co], one transpose away from dW. Best for many input channels.
 *
 * Both avoid what is slow on wasm: strided slices (the per-tap formulation takes ~300 ms for the
 * 14×14×32 → 7×7×64 layer at batch 256, against ~22 ms) and matMuls with a transposed operand.
 * bench/conv-gradient.ts measures all of them.
 *
 * Dilation: the Conv2DBackpropFilter kernel has no dilation attribute; tfjs-core itself refuses
 * the gradient of a dilated conv2d ("dilation rates greater than 1 are not yet supported in
 * gradients"), on every backend, before this kernel is reached.
 */
import * as tf from "@tensorflow/tfjs";
import { AutoencoderLabError } from "../../errors";
import { registerWasmConvBackpropInput } from "./conv-backprop-input";

/** The convolution gradient kernel cannot run on these inputs (shape, dtype, missing kernel). */
export class ConvGradientError extends AutoencoderLabError {}

const WASM = "wasm";
const KERNEL_NAME = "Conv2DBackpropFilter";

type TensorInfo = tf.TensorInfo;
type Shape4D = [number, number, number, number];
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The part of a tfjs backend this module needs: freeing intermediate results. */
interface DisposingBackend {
  disposeData(dataId: object): boolean;
}

/** Writing a small constant tensor (refCount 1, freed by disposeData). */
interface WritingBackend {
  write(values: Float32Array, shape: number[], dtype: "float32"): object;
}

/**
 * Above this many im2col elements (N·oH·oW·Ci·fH·fW, 4 bytes each, held twice) we use the
 * dilated convolution, which needs no patch matrix.
 */
const MAX_PATCH_ELEMENTS = 1 << 22;
/**
 * im2col pays per patch element (writing, transposing ~8 ns each); the dilated convolution pays
 * for XNNPACK setting up a huge filter (oH·oW taps). Measured at batch 256: 28×28×1 → 14×14×32
 * im2col 1.8 ms vs dilated 26 ms; 14×14×32 → 7×7×64 im2col 31 ms vs dilated 22 ms. So "auto" takes
 * im2col for narrow patches (Ci·fH·fW up to this, e.g. up to 7 input channels for a 3×3 filter).
 */
const MAX_IM2COL_DEPTH = 64;

/**
 * How the wasm filter gradient is computed. "auto" (default): im2col when it is exact on XNNPACK
 * (NHWC, no rounding mode that adds rows), its rows are narrow (Ci·fH·fW ≤ 64) and its patch
 * matrix is at most 4M elements, else the dilated convolution. "im2col" lifts both limits (where
 * exact); "dilated" always uses the convolution.
 */
export type ConvFilterGradientMethod = "auto" | "im2col" | "dilated";

let filterGradientMethod: ConvFilterGradientMethod = "auto";

/** Choose the filter-gradient method (for benchmarks and tests; the results agree to float rounding). */
export function setConvFilterGradientMethod(method: ConvFilterGradientMethod): void {
  if (!["auto", "im2col", "dilated"].includes(method)) {
    throw new ConvGradientError(
      `Unknown conv filter gradient method "${method}": use "auto", "im2col" or "dilated"`,
    );
  }
  filterGradientMethod = method;
}

/** Runs another kernel of the same backend on TensorInfos (no engine bookkeeping, no tape). */
function callKernel(
  name: string,
  backendName: string,
  backend: object,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap,
): TensorInfo {
  const kernel = tf.getKernel(name, backendName);
  if (!kernel) {
    throw new ConvGradientError(
      `The ${backendName} backend has no ${name} kernel, which the conv filter gradient needs: ` +
        `is @tensorflow/tfjs-backend-${backendName} loaded and initialised?`,
    );
  }
  return kernel.kernelFunc({ inputs, backend, attrs }) as TensorInfo;
}

/**
 * Builds the kernel function (im2col or dilated convolution, see the top of this file). Uses the
 * backend's Transpose, PadV2, Conv2D (with dilations), DepthwiseConv2dNative, Reshape,
 * BatchMatMul, Slice and Fill kernels and its write().
 */
function makeFilterGradientKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (x.dtype !== "float32" || dy.dtype !== "float32") {
      throw new ConvGradientError(
        `Conv2DBackpropFilter on ${backendName} needs float32 x and dy, got ${x.dtype} and ${dy.dtype}`,
      );
    }
    const channelsLast = dataFormat !== "NCHW";
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as Shape4D,
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      channelsLast ? "channelsLast" : "channelsFirst",
    );
    if (!tf.util.arraysEqual(dy.shape, info.outShape)) {
      throw new ConvGradientError(
        `Conv2DBackpropFilter: dy has shape [${dy.shape}] but a convolution of x [${x.shape}] with ` +
          `filter [${filterShape}] gives [${info.outShape}]`,
      );
    }
    const owned: TensorInfo[] = [];
    const run = (
      name: string,
      kernelInputs: tf.NamedTensorInfoMap,
      kernelAttrs: tf.NamedAttrMap,
    ): TensorInfo => {
      const out = callKernel(name, backendName, backend, kernelInputs, kernelAttrs);
      owned.push(out);
      return out;
    };
    const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
    const { outHeight: oH, outWidth: oW, inHeight: H, inWidth: W } = info;
    const { top, left } = info.padInfo;

    if (tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(dy.shape) === 0) {
      return callKernel(
        "Fill",
        backendName,
        backend,
        {},
        { shape: filterShape, value: 0, dtype: "float32" },
      );
    }
    try {
      const patchElements = tf.util.sizeFromShape(dy.shape.slice(0, 3)) * info.inChannels * fH * fW;
      // XNNPACK sizes a non-'same' output by floor rounding; a 'ceil' or 'round' rounding mode
      // that adds an output row or column would be computed wrong there.
      const { bottom: padBottom, right: padRight } = info.padInfo;
      const xnnpackAgrees =
        info.padInfo.type === "SAME" ||
        (Math.floor((H + top + padBottom - fH) / sH) + 1 === oH &&
          Math.floor((W + left + padRight - fW) / sW) + 1 === oW);
      const small =
        filterGradientMethod === "im2col" ||
        (patchElements <= MAX_PATCH_ELEMENTS && info.inChannels * fH * fW <= MAX_IM2COL_DEPTH);
      if (filterGradientMethod !== "dilated" && channelsLast && xnnpackAgrees && small) {
        // im2col by a depthwise convolution with one-hot filters: patches [M, Ci·fH·fW]
        // (channel ci·T + t for tap t), then dWᵀ = patchesᵀ · dy as a plain (fast) matMul.
        const taps = fH * fW;
        const ci = info.inChannels;
        const oneHot = new Float32Array(taps * ci * taps);
        for (let t = 0; t < taps; t++)
          for (let c = 0; c < ci; c++) oneHot[(t * ci + c) * taps + t] = 1;
        const selector: TensorInfo = {
          dataId: (backend as WritingBackend).write(oneHot, [fH, fW, ci, taps], "float32"),
          shape: [fH, fW, ci, taps],
          dtype: "float32",
        };
        owned.push(selector);
        const patches = run(
          "DepthwiseConv2dNative",
          { x, filter: selector },
          {
            strides,
            pad,
            dataFormat: "NHWC",
            dilations: [1, 1],
            ...(dimRoundingMode ? { dimRoundingMode } : {}),
          },
        );
        const m = tf.util.sizeFromShape(dy.shape.slice(0, 3));
        const patches2D = run("Reshape", { x: patches }, { shape: [m, ci * taps] });
        const patchesT = run("Transpose", { x: patches2D }, { perm: [1, 0] });
        const dy2D = run("Reshape", { x: dy }, { shape: [m, info.outChannels] });
        const product = run(
          "BatchMatMul",
          { a: patchesT, b: dy2D },
          { transposeA: false, transposeB: false },
        );
        const byChannel = run("Reshape", { x: product }, { shape: [ci, fH, fW, info.outChannels] });
        return callKernel(
          "Transpose",
          backendName,
          backend,
          { x: byChannel },
          { perm: [1, 2, 0, 3] },
        );
      }
      // Input as a batch of Ci images with N channels: [Ci, H, W, N].
      const xT = run("Transpose", { x }, { perm: channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0] });
      // Pad so that every tap of every output position is inside; the far side only as much as
      // the last output needs (rows beyond it, e.g. 'valid' with leftover rows, add output taps
      // that we cut off below).
      const bottom = Math.max(0, (oH - 1) * sH + fH - (H + top));
      const right = Math.max(0, (oW - 1) * sW + fW - (W + left));
      const xPadded =
        top + bottom + left + right === 0
          ? xT
          : run(
              "PadV2",
              { x: xT },
              {
                paddings: [
                  [0, 0],
                  [top, bottom],
                  [left, right],
                  [0, 0],
                ],
                constantValue: 0,
              },
            );
      // dy as a filter [oH, oW, N, Co].
      const dyT = run("Transpose", { x: dy }, { perm: channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1] });
      // [Ci, fH', fW', Co] with fH' >= fH, fW' >= fW.
      const conv = run(
        "Conv2D",
        { x: xPadded, filter: dyT },
        {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [sH, sW],
        },
      );
      const dW = run("Transpose", { x: conv }, { perm: [1, 2, 0, 3] });
      if (dW.shape[0] === fH && dW.shape[1] === fW) {
        owned.pop();
        return dW;
      }
      return callKernel(
        "Slice",
        backendName,
        backend,
        { x: dW },
        { begin: [0, 0, 0, 0], size: filterShape },
      );
    } finally {
      for (const t of owned) (backend as DisposingBackend).disposeData(t.dataId);
    }
  };
}

/**
 * Make conv2d and conv2dTranspose trainable on the wasm backend by registering the missing
 * Conv2DBackpropFilter kernel for "wasm". Importing this module does nothing; the filter gradient
 * can be registered before or after the wasm backend is initialised (this does not load it).
 * Calling again, or when a Conv2DBackpropFilter kernel for wasm already exists (a future tfjs),
 * does nothing. Supports every stride, padding ('same', 'valid', explicit numbers or arrays),
 * rounding mode and both data formats that the kernel accepts; float32 only.
 *
 * It also swaps in a faster Conv2DBackpropInput (input gradient of conv2d and forward pass of
 * conv2dTranspose, see conv-backprop-input.ts) if tfjs-backend-wasm is already imported: call
 * this after tf.setBackend("wasm") to get both.
 */
export function registerWasmConvGradients(): void {
  if (!tf.getKernel(KERNEL_NAME, WASM)) {
    tf.registerKernel({
      kernelName: KERNEL_NAME,
      backendName: WASM,
      kernelFunc: makeFilterGradientKernel(WASM),
    });
  }
  registerWasmConvBackpropInput();
}
