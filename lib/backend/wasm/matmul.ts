/**
 * Fast transposed matrix products on the wasm backend.
 *
 * tfjs-backend-wasm 4.22 sends matMul with transposeA or transposeB to a naive loop that runs at
 * 1.7-2.7 GFLOP/s, against ~45 GFLOP/s for the plain XNNPACK product. Backpropagation through a
 * dense layer asks for exactly those transposed products (x^T·dy and dy·W^T), so training spends
 * ~90% of its time there. We wrap the BatchMatMul and _FusedMatMul kernels: a transposed operand
 * is first materialised by the (fast) Transpose kernel, then the plain product runs. This fixes
 * every caller at once: layers, fused gradients and our own code.
 */
import * as tf from "@tensorflow/tfjs";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type TensorInfo = tf.TensorInfo;

interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

const WRAPPED_KERNELS = ["BatchMatMul", "_FusedMatMul"] as const;
const wrapped = new Set<string>();

/** Materialise the transpose of the last two dimensions of `x` with the backend's Transpose kernel. */
function transposeLastTwo(
  x: TensorInfo,
  backend: WasmBackendLike,
  transpose: tf.KernelFunc,
): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend: backend as never, attrs: { perm } }) as TensorInfo;
}

/**
 * Replace the wasm BatchMatMul and _FusedMatMul kernels with versions that avoid the slow
 * transposed path. Call after the wasm backend is initialised; calling again does nothing.
 */
export function installWasmMatMulFastPath(): void {
  const transposeKernel = tf.getKernel("Transpose", "wasm");
  if (!transposeKernel)
    throw new Error("The wasm backend has no Transpose kernel: is it registered?");
  const transpose = transposeKernel.kernelFunc;
  for (const name of WRAPPED_KERNELS) {
    if (wrapped.has(name)) continue;
    const original = tf.getKernel(name, "wasm");
    if (!original) throw new Error(`The wasm backend has no ${name} kernel to wrap.`);
    const kernelFunc = (args: KernelArgs) => {
      const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
      if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const inputs = { ...args.inputs } as Record<string, TensorInfo>;
      const temporaries: TensorInfo[] = [];
      if (attrs.transposeA) {
        inputs.a = transposeLastTwo(inputs.a, backend, transpose);
        temporaries.push(inputs.a);
      }
      if (attrs.transposeB) {
        inputs.b = transposeLastTwo(inputs.b, backend, transpose);
        temporaries.push(inputs.b);
      }
      try {
        return original.kernelFunc({
          ...args,
          inputs,
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const t of temporaries) backend.disposeData(t.dataId);
      }
    };
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...original, kernelFunc: kernelFunc as tf.KernelFunc });
    wrapped.add(name);
  }
}
