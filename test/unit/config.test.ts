// The one config: defaults, quick preset, strict overrides (unknown keys, wrong types, ranges),
// aliases, command-line flags, and validation of saved configs.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  configHelp,
  defaultConfig,
  FIELDS,
  parseConfigFlags,
  quickConfig,
  quickRequested,
  resolveConfig,
  validateConfig,
  validateField,
} from "../../lib/config";
import { ConfigError } from "../../lib/errors";

const named = (key: string, pattern?: RegExp) => (e: unknown) =>
  e instanceof ConfigError &&
  e.message.includes(`"${key}"`) &&
  (!pattern || pattern.test(e.message));

test("defaults: dense 784-256-64, linear code, Adam 3e-3 with cosine decay, BCE, 25 epochs, batch 128", () => {
  const c = defaultConfig();
  assert.equal(c.model.kind, "dense");
  assert.deepEqual(c.model.hiddenSizes, [256]);
  assert.equal(c.model.codeSize, 64);
  assert.equal(c.model.codeActivation, "linear");
  assert.equal(c.train.epochs, 25);
  assert.equal(c.train.batchSize, 128);
  assert.equal(c.train.learningRate, 3e-3);
  assert.equal(c.train.lrSchedule, "cosine");
  assert.equal(c.train.loss, "bce");
  assert.equal(c.data.dataset, "mnist");
  assert.equal(c.data.trainLimit, null);
});

test("every FIELDS key exists in the default config, and the config has no key FIELDS lacks", () => {
  const c = defaultConfig() as unknown as Record<string, unknown>;
  const leaves: string[] = [];
  const walk = (node: unknown, prefix: string) => {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) walk(v, `${prefix}${k}.`);
      else leaves.push(prefix + k);
    }
  };
  walk(c, "");
  assert.deepEqual(leaves.sort(), Object.keys(FIELDS).sort());
  for (const [key, spec] of Object.entries(FIELDS)) {
    assert.ok(spec.doc.length > 20, `${key} is documented`);
    validateField(key, spec.default);
    if (spec.quick !== undefined) validateField(key, spec.quick);
  }
});

test("the quick preset is small, and AE_QUICK selects it", () => {
  const q = quickConfig();
  assert.ok(q.train.epochs <= 3 && (q.data.trainLimit ?? Infinity) <= 5000);
  assert.equal(q.train.runsDir, "runs/quick");
  assert.equal(quickRequested({ AE_QUICK: "1" }), true);
  assert.equal(quickRequested({ AE_QUICK: "true" }), true);
  for (const off of ["", "0", "false", "no"])
    assert.equal(quickRequested({ AE_QUICK: off }), false);
  assert.equal(quickRequested({}), false);
  assert.equal(resolveConfig({}, quickConfig()).train.epochs, q.train.epochs);
});

test("overrides: nested, dotted and aliased forms all set the same key", () => {
  const base = defaultConfig();
  assert.equal(resolveConfig({ train: { epochs: 5 } }, base).train.epochs, 5);
  assert.equal(resolveConfig({ "train.epochs": 5 }, base).train.epochs, 5);
  assert.equal(resolveConfig({ epochs: 5 }, base).train.epochs, 5);
  assert.equal(resolveConfig({ latent: 32 }, base).model.codeSize, 32);
  assert.equal(
    resolveConfig({ model: "conv" }, base).model.kind,
    "conv",
    "alias sharing a group's name",
  );
  assert.equal(
    resolveConfig({ model: { noise: { kind: "gaussian" } } }, base).model.noise.level,
    0.3,
    "partial nested groups keep defaults",
  );
  assert.equal(base.train.epochs, 25, "the base is not modified");
});

test("unknown keys are rejected with the key named and a suggestion", () => {
  assert.throws(() => resolveConfig({ train: { epoch: 5 } }), named("train.epoch"));
  assert.throws(() => resolveConfig({ codeSize: 5 }), named("codeSize", /model\.codeSize/));
  assert.throws(() => resolveConfig({ nonsense: 1 }), named("nonsense", /Valid keys/));
  assert.throws(() => validateConfig({ ...defaultConfig(), extra: true }), named("extra"));
});

test("wrong types are rejected with the key, what was given and what was expected", () => {
  assert.throws(
    () => resolveConfig({ train: { epochs: "5" } }),
    named("train.epochs", /got string "5", expected an integer/),
  );
  assert.throws(() => resolveConfig({ train: { epochs: 2.5 } }), named("train.epochs", /integer/));
  assert.throws(
    () => resolveConfig({ data: { download: "yes" } }),
    named("data.download", /true or false/),
  );
  assert.throws(
    () => resolveConfig({ model: { kind: "transformer" } }),
    named("model.kind", /"dense", "conv"/),
  );
  assert.throws(() => resolveConfig({ model: { hiddenSizes: [] } }), named("model.hiddenSizes"));
  assert.throws(
    () => resolveConfig({ model: { hiddenSizes: [256, -1] } }),
    named("model.hiddenSizes"),
  );
  assert.throws(() => resolveConfig({ train: { epochs: null } }), named("train.epochs", /null/));
  assert.throws(
    () => resolveConfig({ train: { learningRate: Number.NaN } }),
    named("train.learningRate"),
  );
  assert.throws(
    () => resolveConfig({ train: 5 } as never),
    (e: unknown) => e instanceof ConfigError && /"train" must be an object/.test(e.message),
  );
});

test("out-of-range values are rejected: code size 0, negative or zero learning rate, fractions", () => {
  assert.throws(() => resolveConfig({ latent: 0 }), named("model.codeSize", /at least 1/));
  assert.throws(() => resolveConfig({ lr: -0.001 }), named("train.learningRate", /greater than 0/));
  assert.throws(() => resolveConfig({ lr: 0 }), named("train.learningRate", /greater than 0/));
  assert.throws(
    () => resolveConfig({ data: { validationFraction: 0.9 } }),
    named("data.validationFraction", /at most 0.5/),
  );
  assert.throws(
    () => resolveConfig({ model: { noise: { level: 1.5 } } }),
    named("model.noise.level"),
  );
  assert.equal(
    resolveConfig({ patience: null }).train.earlyStoppingPatience,
    null,
    "nullable keys take null",
  );
});

test("combinations: folder dataset needs a folder; a noise kind needs a positive level", () => {
  assert.throws(() => resolveConfig({ dataset: "folder" }), named("data.folder"));
  assert.equal(
    resolveConfig({ dataset: "folder", data: { folder: "/tmp/x" } }).data.folder,
    "/tmp/x",
  );
  assert.throws(
    () => resolveConfig({ noise: "gaussian", "noise-level": 0 }),
    named("model.noise.level"),
  );
});

test("command-line flags parse by the field's type", () => {
  assert.deepEqual(
    parseConfigFlags([
      "--epochs",
      "5",
      "--latent=32",
      "--hidden",
      "512,128",
      "--patience",
      "null",
      "--data.download",
      "false",
    ]),
    {
      "train.epochs": 5,
      "model.codeSize": 32,
      "model.hiddenSizes": [512, 128],
      "train.earlyStoppingPatience": null,
      "data.download": false,
    },
  );
  assert.deepEqual(parseConfigFlags(["--data.download", "--epochs", "2"]), {
    "data.download": true,
    "train.epochs": 2,
  });
  assert.throws(() => resolveConfig(parseConfigFlags(["--epochs", "five"])), named("train.epochs"));
  assert.throws(() => parseConfigFlags(["--bogus", "1"]), named("bogus"));
  assert.throws(() => parseConfigFlags(["epochs"]), ConfigError);
  assert.throws(() => parseConfigFlags(["--epochs"]), /needs a value/);
});

test("saved configs are validated whole: a missing key is named", () => {
  const c = defaultConfig() as unknown as { train: Record<string, unknown> };
  delete c.train.loss;
  assert.throws(() => validateConfig(c), named("train.loss", /missing/));
  assert.deepEqual(validateConfig(defaultConfig()), defaultConfig());
});

test("help lists every key with its alias and default", () => {
  const help = configHelp();
  for (const [key, spec] of Object.entries(FIELDS)) {
    assert.ok(help.includes(`--${key}`), key);
    if (spec.alias) assert.ok(help.includes(`--${spec.alias}`), spec.alias);
  }
});
