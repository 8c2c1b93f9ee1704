/** Input checks shared by the plot builders added for the latent-space and evaluation figures. */
import { AutoencoderLabError } from "../errors";

/** The data handed to a plot builder does not fit together (lengths, shapes, values). */
export class PlotInputError extends AutoencoderLabError {}

/** Throw a PlotInputError unless every array in `arrays` has the length of the first one. */
export function checkSameLength(what: string, arrays: Record<string, ArrayLike<unknown>>): number {
  const entries = Object.entries(arrays);
  const n = entries[0][1].length;
  for (const [name, values] of entries.slice(1)) {
    if (values.length !== n) {
      throw new PlotInputError(
        `${what}: ${name} has ${values.length} values but ${entries[0][0]} has ${n}; pass one value per point.`,
      );
    }
  }
  return n;
}

/** A Float32Array copy of `values` (compact in the spec: encoded as binary by the display layer). */
export function toFloat32(values: ArrayLike<number>): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}
