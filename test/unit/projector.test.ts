// Embedding Projector export (lib/latent/projector.ts): the files parse back — tensor rows and
// dims, metadata header and labels, the sprite's size and every thumbnail at its grid place —
// and the configs point at them; an oversized sprite is refused before anything is written.
import { test, before, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PNG } from "pngjs";
import {
  MAX_SPRITE_SIDE,
  ProjectorError,
  spriteLayout,
  writeProjectorFiles,
} from "../../lib/latent/projector";
import { createRng } from "../../lib/random";

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ae-projector-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const shape = { height: 28, width: 28, channels: 1 };

/** n thumbnails where image i is uniformly grey (i+1)/(n+1) except pixel (y=3, x=5), white. */
function thumbnails(n: number): Float32Array {
  const images = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) {
    images.fill((i + 1) / (n + 1), i * 784, (i + 1) * 784);
    images[i * 784 + 3 * 28 + 5] = 1;
  }
  return images;
}

test("tensors, metadata, sprite and configs parse back: rows, dims, header, labels, thumbnails in place", () => {
  const n = 11;
  const dim = 5;
  const rng = createRng(1);
  const points = Float32Array.from({ length: n * dim }, () => rng.normal() * 3);
  const labels = Uint8Array.from({ length: n }, (_, i) => (i * 7) % 10);
  const indices = Int32Array.from({ length: n }, (_, i) => 100 + 2 * i);
  const folder = path.join(dir, "digits");
  const files = writeProjectorFiles(folder, {
    points,
    n,
    dim,
    labels,
    indices,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    images: thumbnails(n),
    imageShape: shape,
  });

  const rows = fs.readFileSync(files.tensors, "utf8").trimEnd().split("\n");
  assert.equal(rows.length, n);
  for (let i = 0; i < n; i++) {
    const values = rows[i].split("\t").map(Number);
    assert.equal(values.length, dim);
    // Each number reads back as the same float32.
    assert.deepEqual(Float32Array.from(values), points.subarray(i * dim, (i + 1) * dim));
  }

  const meta = fs.readFileSync(files.metadata, "utf8").trimEnd().split("\n");
  assert.equal(meta[0], "index\tlabel"); // digits: the class column would repeat the label
  assert.equal(meta.length, n + 1);
  assert.deepEqual(meta[3].split("\t"), ["104", String(labels[2])]);

  // 11 thumbnails: ceil(√11) = 4 per row, 3 rows.
  assert.deepEqual(files.spriteLayout, { columns: 4, rows: 3, width: 112, height: 84 });
  const png = PNG.sync.read(fs.readFileSync(files.sprite as string));
  assert.equal(png.width, 112);
  assert.equal(png.height, 84);
  const grey = (x: number, y: number) => png.data[(y * png.width + x) * 4];
  for (let i = 0; i < n; i++) {
    const x0 = (i % 4) * 28;
    const y0 = Math.floor(i / 4) * 28;
    const level = Math.round(Math.fround((i + 1) / (n + 1)) * 255); // the image is float32
    assert.equal(grey(x0, y0), level, `thumbnail ${i}`);
    assert.equal(grey(x0 + 27, y0 + 27), level, `thumbnail ${i}`);
    assert.equal(grey(x0 + 5, y0 + 3), 255, `thumbnail ${i} marked pixel`);
  }
  assert.equal(grey(3 * 28 + 10, 2 * 28 + 10), 0, "the empty last cell is background");

  const config = JSON.parse(fs.readFileSync(files.configJson, "utf8"));
  assert.deepEqual(config.embeddings[0], {
    tensorName: "codes",
    tensorShape: [n, dim],
    tensorPath: "tensors.tsv",
    metadataPath: "metadata.tsv",
    sprite: { imagePath: "sprite.png", singleImageDim: [28, 28] },
  });
  const pbtxt = fs.readFileSync(files.configPbtxt, "utf8");
  assert.match(pbtxt, /tensor_path: "tensors.tsv"/);
  assert.match(pbtxt, /metadata_path: "metadata.tsv"/);
  assert.match(pbtxt, /image_path: "sprite.png"\n\s+single_image_dim: 28\n\s+single_image_dim: 28/);
  assert.deepEqual(fs.readdirSync(folder).sort(), [
    "metadata.tsv",
    "projector_config.json",
    "projector_config.pbtxt",
    "sprite.png",
    "tensors.tsv",
  ]);
});

test("named classes get a class column; inverted thumbnails; a base URL prefixes the config paths; no images, no sprite", () => {
  const folder = path.join(dir, "fashion");
  const files = writeProjectorFiles(
    folder,
    {
      points: new Float32Array(8),
      n: 4,
      dim: 2,
      labels: Uint8Array.of(0, 1, 1, 0),
      classNames: ["T-shirt", "Trouser\tpair"],
      images: thumbnails(4),
      imageShape: shape,
      tensorName: "fashion codes",
    },
    { invert: true, baseUrl: "https://example.org/run/" },
  );
  const meta = fs.readFileSync(files.metadata, "utf8").trimEnd().split("\n");
  assert.equal(meta[0], "index\tlabel\tclass");
  assert.deepEqual(meta[2].split("\t"), ["1", "1", "Trouser pair"]);
  const png = PNG.sync.read(fs.readFileSync(files.sprite as string));
  assert.equal(png.data[0], 255 - Math.round(0.2 * 255));
  const config = JSON.parse(fs.readFileSync(files.configJson, "utf8"));
  assert.equal(config.embeddings[0].tensorPath, "https://example.org/run/tensors.tsv");
  assert.equal(config.embeddings[0].sprite.imagePath, "https://example.org/run/sprite.png");

  // Written again without images: the folder is replaced, so the old sprite is gone.
  const bare = writeProjectorFiles(folder, { points: new Float32Array(8), n: 4, dim: 2 });
  assert.equal(bare.sprite, null);
  assert.ok(!fs.existsSync(path.join(folder, "sprite.png")));
  assert.equal(fs.readFileSync(bare.metadata, "utf8").split("\n")[0], "index");
  assert.equal(
    JSON.parse(fs.readFileSync(bare.configJson, "utf8")).embeddings[0].sprite,
    undefined,
  );
});

test("the sprite limit: 292² MNIST thumbnails fit in 8192 px, one more does not, and nothing is written", () => {
  assert.equal(spriteLayout(292 * 292, shape).width, 292 * 28);
  assert.ok(292 * 28 <= MAX_SPRITE_SIDE);
  assert.throws(
    () => spriteLayout(292 * 292 + 1, shape),
    (e: unknown) => e instanceof ProjectorError && /85264/.test(e.message),
  );
  const folder = path.join(dir, "too-big");
  const n = 292 * 292 + 1;
  assert.throws(
    () =>
      writeProjectorFiles(folder, {
        points: new Float32Array(n),
        n,
        dim: 1,
        images: new Float32Array(n * 784),
        imageShape: shape,
      }),
    ProjectorError,
  );
  assert.ok(!fs.existsSync(folder));
  assert.throws(
    () => writeProjectorFiles(folder, { points: new Float32Array(4), n: 2, dim: 2, labels: [1] }),
    /1 labels for 2 points/,
  );
  assert.throws(
    () =>
      writeProjectorFiles(folder, {
        points: new Float32Array(4),
        n: 2,
        dim: 2,
        images: new Float32Array(10),
      }),
    /imageShape/,
  );
});
