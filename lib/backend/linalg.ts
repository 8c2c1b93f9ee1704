/**
 * The native engine's float64 linear algebra as lib/ml's accelerator (PCA, nearest neighbours,
 * the silhouette): initBackend registers nativeFloat64Accelerator, which answers the native
 * helpers while the native engine is the running backend and null on the others, where lib/ml's
 * JavaScript does the same arithmetic. Results agree to rounding (about 1e-13 relative).
 */
import type { Float64Accelerator } from "../ml/accelerator";
import { activeNativeBackend } from "./native/binding";
import { Float64Ops } from "./native/float64";

/** The native engine's float64 helpers when it is the running backend, else null. */
export function nativeFloat64Accelerator(): Float64Accelerator | null {
  const native = activeNativeBackend();
  return native ? new Float64Ops(native.binding) : null;
}
