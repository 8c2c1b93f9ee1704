/**
 * The conv filter gradient the wasm backend lacks.
 *
 * tfjs-backend-wasm 4.22 registers Conv2D and Conv2DBackpropInput but not Conv2DBackpropFilter,
 * so backpropagation to the weights of tf.conv2d (and of conv2dTranspose, whose filter gradient
 * is the same kernel with the roles of input and gradient swapped) fails on wasm.
 *
 * We register that kernel for "wasm", built from kernels the wasm backend runs fast. The filter
 * gradient of a strided convolution is itself a convolution:
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} xpad[n, oh·sh + kh, ow·sw + kw, ci] · dy[n, oh, ow, co]
 *
 * Read the input as a batch of `ci` images with `n` channels, [Ci, Hp, Wp, N], and dy as a filter
 * [oH, oW, N, Co] dilated by the stride: a stride-1 'valid' convolution of the two gives
 * [Ci, fH, fW, Co], one transpose away from dW. XNNPACK runs that at full speed (~20 ms for the
 * 14×14×32 → 7×7×64 layer at batch 256, vs ~300 ms for the per-tap strided-slice + matMul
 * formulation, whose strided slices and transposed products are slow on wasm; see
 * bench/conv-gradient.ts).
 *
 * Dilation: the Conv2DBackpropFilter kernel has no dilation attribute; tfjs-core itself refuses
 * the gradient of a dilated conv2d ("dilation rates greater than 1 are not yet supported in
 * gradients"), on every backend, before this kernel is reached.
 */
import * as tf from "@tensorflow/tfjs";
import { AutoencoderLabError } from "../errors";
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
 * Builds the kernel function: dW via a stride-1 convolution dilated by the forward stride.
 * Works on any backend that has Transpose, PadV2, Conv2D (with dilations), Slice and Fill.
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
