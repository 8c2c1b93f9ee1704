/**
 * A faster Conv2DBackpropInput for the wasm backend.
 *
 * That kernel computes the input gradient of conv2d and the forward pass of conv2dTranspose. In
 * tfjs-backend-wasm 4.22 it is a plain loop (~2 GMAC/s): for the conv autoencoder's
 * 7×7×64 → 14×14×32 layer at batch 256 it takes ~115 ms, twice per train step. Written as a
 * stride-1 convolution of the stride-dilated gradient with the flipped filter, XNNPACK runs it in
 * ~47 ms despite multiplying the inserted zeros (stride² more MACs):
 *
 *   dx[n, h, w, ci] = Σ dyd[n, h + kh', w + kw', co] · W[fH−1−kh', fW−1−kw', ci, co]
 *
 * where dyd is dy with stride−1 zeros between rows and columns, padded by fH−1−padTop above.
 * The dilation is a reshape to [N, oH, 1, oW, 1, Co] and a pad of the unit axes, both cheap.
 * With few output channels (the 14×14×32 → 28×28×1 layer) the plain loop is faster, and some
 * paddings would need a crop (slow on wasm): those cases keep the original kernel.
 */
import * as tf from "@tensorflow/tfjs";

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

function kernelFunc(name: string): tf.KernelFunc {
  const kernel = tf.getKernel(name, WASM);
  if (!kernel)
    throw new Error(
      `The wasm backend has no ${name} kernel: is @tensorflow/tfjs-backend-wasm loaded?`,
    );
  return kernel.kernelFunc;
}

/** The dilated-convolution plan for these arguments, or null when the original kernel should run. */
function plan(dy: TensorInfo, filter: TensorInfo, attrs: tf.Conv2DBackpropInputAttrs) {
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
  if (!tf.util.arraysEqual(dy.shape, info.outShape) || info.inChannels < MIN_CHANNELS_FOR_CONV)
    return null;
  const { filterHeight: fH, filterWidth: fW, strideHeight: sH, strideWidth: sW } = info;
  const { outHeight: oH, outWidth: oW, inHeight: H, inWidth: W } = info;
  const top = fH - 1 - info.padInfo.top;
  const left = fW - 1 - info.padInfo.left;
  // Zeros needed after the last dy row; the dilation already puts stride−1 there.
  const bottom = H + info.padInfo.top - (oH - 1) * sH - 1 - (sH - 1);
  const right = W + info.padInfo.left - (oW - 1) * sW - 1 - (sW - 1);
  if (top < 0 || left < 0 || bottom < 0 || right < 0 || tf.util.sizeFromShape(dy.shape) === 0)
    return null;
  return { sH, sW, top, left, bottom, right };
}

function makeKernel(original: tf.KernelFunc): WrappedKernelFunc {
  const wrapped: WrappedKernelFunc = (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const p = plan(dy, filter, args.attrs as unknown as tf.Conv2DBackpropInputAttrs);
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
 * Replace the wasm Conv2DBackpropInput kernel by one that runs large cases as a dilated
 * convolution (same results up to float rounding) and the rest with the original. Does nothing
 * when tfjs-backend-wasm is not loaded or when already done.
 */
export function registerWasmConvBackpropInput(): void {
  const current = tf.getKernel(KERNEL_NAME, WASM);
  if (!current || (current.kernelFunc as WrappedKernelFunc)[WRAPPED]) return;
  tf.unregisterKernel(KERNEL_NAME, WASM);
  tf.registerKernel({ ...current, kernelFunc: makeKernel(current.kernelFunc) });
}
