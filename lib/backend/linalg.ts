/**
 * Float64 linear algebra of the running backend for exact analysis code (PCA, nearest
 * neighbours): the native
 * engine's, or null on the others, where the caller's JavaScript does the same arithmetic.
 * Callers need not know which backend runs; results agree to rounding (about 1e-13 relative).
 */
import { activeNativeBackend } from "./native/binding";
import { Float64Ops } from "./native/float64";

export { forEachGramBlock } from "./native/float64";

export type Float64Accelerator = Pick<
  Float64Ops,
  "centredGram" | "symmetricEigen" | "pairwiseDots"
>;
export type { PairwiseDots } from "./native/float64";

/** The native engine's float64 helpers when it is the running backend, else null. */
export function float64Accelerator(): Float64Accelerator | null {
  const native = activeNativeBackend();
  return native ? new Float64Ops(native.binding) : null;
}
