// The variant runs the main job trains before the notebooks are the ones notebooks 09 and 10 ask
// for (same names and defaults), and rd-code-2, shared by both, is listed once.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { GENERATION_DEFAULTS, RATE_DISTORTION_DEFAULTS } from "../../lib/apps/defaults";
import {
  generationVariants,
  notebookVariantJobs,
  rateDistortionVariants,
} from "../../lib/apps/notebook-variants";
import { variantConfig, variantBase } from "../../lib/apps/variants";
import { comparisonConfig } from "../../lib/config";
import { AutoencoderLabError } from "../../lib/errors";
import { parametersCellSource } from "../../lib/notebook/parameters";
import { projectPath } from "../../lib/paths";

const params = (file: string) =>
  parametersCellSource(JSON.parse(fs.readFileSync(projectPath("notebooks", file), "utf8"))) ?? "";

test("notebooks 09 and 10 declare the defaults the main job trains with", () => {
  const rd = params("09-compression.ipynb");
  assert.match(
    rd,
    new RegExp(`let codeSizes = \\[${RATE_DISTORTION_DEFAULTS.codeSizes.join(", ")}\\];`),
  );
  // Epochs are the config table's (its comparison preset), not a notebook variable.
  assert.doesNotMatch(rd, /let rdEpochs\b/);
  const gen = params("10-generation.ipynb");
  assert.match(gen, new RegExp(`let klWeight = ${GENERATION_DEFAULTS.klWeight};`));
  assert.doesNotMatch(gen, /let planeEpochs\b/);
  // rd-code-2 is shared: both notebooks train it the same way, from the same preset.
  const sets = notebookVariantJobs(["rate-distortion", "generation"]);
  assert.deepEqual(
    sets.map((j) => j.epochs),
    [comparisonConfig().train.epochs, comparisonConfig().train.epochs],
  );
  assert.equal(comparisonConfig().train.epochs, 3);
});

test("variant sets: names, overrides, rd-code-2 once, unknown sets refused", () => {
  assert.deepEqual(rateDistortionVariants([2, 8]), [
    { name: "rd-code-2", overrides: { "model.codeSize": 2 } },
    { name: "rd-code-8", overrides: { "model.codeSize": 8 } },
  ]);
  const vae = variantConfig("vae-2", generationVariants(1)[1].overrides, variantBase());
  assert.deepEqual(
    [vae.model.kind, vae.model.codeSize, vae.model.klWeight, vae.train.epochs],
    ["vae", 2, 1, 3],
  );

  const all = notebookVariantJobs();
  assert.deepEqual(
    all.map((j) => j.set),
    ["denoising", "heldout", "rate-distortion", "generation"],
  );
  const names = all.flatMap((j) => j.specs.map((s) => s.name));
  assert.equal(new Set(names).size, names.length, "no run is listed twice");
  assert.equal(names.filter((n) => n === "rd-code-2").length, 1);
  assert.ok(
    names.includes("vae-2") && names.includes("heldout-9") && names.includes("denoise-none"),
  );
  // Alone, the generation set brings its own rd-code-2.
  assert.deepEqual(
    notebookVariantJobs(["generation"])[0].specs.map((s) => s.name),
    ["rd-code-2", "vae-2"],
  );
  assert.throws(() => notebookVariantJobs(["denoise"]), AutoencoderLabError);
  assert.throws(
    () => notebookVariantJobs(["denoise"]),
    /use denoising, heldout, rate-distortion, generation/,
  );
});
