// lib/runs/embeddings.ts (maps as entries of the run cache) on real files in a temporary folder: a round trip gives the same
// numbers without recomputing; other codes (fingerprint), other points or a damaged file make it
// compute again; other options live in another file; a read-only folder still returns the result.
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  embeddingCacheFile,
  loadOrComputeEmbedding,
  readCachedEmbedding,
  type EmbeddingKey,
} from "../../lib/runs/embeddings";
import { RunCacheError } from "../../lib/runs/run-cache";
import { tsne } from "../../lib/ml/tsne";
import { createRng } from "../../lib/random";

function points(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  // Two blobs, so t-SNE has something to separate.
  return Float32Array.from(
    { length: n * dim },
    (_, j) => rng.normal() + (j < (n / 2) * dim ? 0 : 6),
  );
}

function keyFor(folder: string, overrides: Partial<EmbeddingKey> = {}): EmbeddingKey {
  const n = 60;
  const dim = 5;
  return {
    folder,
    method: "tsne",
    options: { perplexity: 10, iterations: 100, seed: 1 },
    fingerprint: "a".repeat(64),
    points: points(n, dim, 7),
    n,
    dim,
    ...overrides,
  };
}

function counting(key: EmbeddingKey) {
  const calls = { count: 0 };
  const compute = () => {
    calls.count += 1;
    const o = key.options as { perplexity: number; iterations: number; seed: number };
    return tsne(key.points, key.n, key.dim, o);
  };
  return { calls, compute };
}

test("round trip: the second call reads the same embedding from disk without computing", async () => {
  const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ae-embed-")), "embeddings");
  const key = keyFor(folder);
  const { calls, compute } = counting(key);
  const first = await loadOrComputeEmbedding(key, compute);
  assert.equal(first.source, "computed");
  assert.match(first.reason ?? "", /No cached tsne embedding/);
  assert.equal(first.components, 2);
  assert.equal(first.embedding.length, key.n * 2);
  assert.ok(fs.existsSync(first.file));
  assert.ok(fs.existsSync(first.file.replace(/\.json$/, ".f32")));
  // Options in another key order are the same options.
  const reordered = { ...key, options: { seed: 1, iterations: 100, perplexity: 10 } };
  const second = await loadOrComputeEmbedding(reordered, compute);
  assert.equal(second.source, "cache");
  assert.equal(calls.count, 1);
  assert.deepEqual(second.embedding, first.embedding);
  assert.equal(second.seconds, first.seconds);
  assert.deepEqual(readCachedEmbedding(key).embedding, first.embedding);
});

test("other codes (fingerprint) or other points: stale, computed again and overwritten", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ae-embed-"));
  const key = keyFor(folder);
  const { calls, compute } = counting(key);
  await loadOrComputeEmbedding(key, compute);
  const retrained = { ...key, fingerprint: "b".repeat(64) };
  assert.throws(
    () => readCachedEmbedding(retrained),
    (e: unknown) => e instanceof RunCacheError && e.problem === "stale",
  );
  const again = await loadOrComputeEmbedding(retrained, compute);
  assert.equal(again.source, "computed");
  assert.match(again.reason ?? "", /made from other codes or options.*stale/);
  assert.equal(calls.count, 2);
  // Same fingerprint, one value of the points changed (another sample): stale too.
  const moved = Float32Array.from(retrained.points);
  moved[3] += 0.5;
  const resampled = { ...retrained, points: moved };
  assert.equal(
    (await loadOrComputeEmbedding(resampled, counting(resampled).compute)).source,
    "computed",
  );
  // Same file name each time (options unchanged): the entry was replaced, not added.
  assert.deepEqual(fs.readdirSync(folder).sort().length, 2);
  assert.equal((await loadOrComputeEmbedding(resampled, compute)).source, "cache");
});

test("other options: another file, both kept", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ae-embed-"));
  const key = keyFor(folder);
  const other = { ...key, options: { perplexity: 5, iterations: 100, seed: 1 } };
  assert.notEqual(embeddingCacheFile(key), embeddingCacheFile(other));
  await loadOrComputeEmbedding(key, counting(key).compute);
  await loadOrComputeEmbedding(other, counting(other).compute);
  assert.equal(fs.readdirSync(folder).length, 4);
  assert.equal(
    (await loadOrComputeEmbedding(key, () => assert.fail("recomputed"))).source,
    "cache",
  );
  assert.equal(
    (await loadOrComputeEmbedding(other, () => assert.fail("recomputed"))).source,
    "cache",
  );
});

test("a truncated or altered data file, or unreadable JSON: damaged, computed again", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ae-embed-"));
  const key = keyFor(folder);
  const { calls, compute } = counting(key);
  const first = await loadOrComputeEmbedding(key, compute);
  const data = first.file.replace(/\.json$/, ".f32");
  const bytes = fs.readFileSync(data);
  fs.writeFileSync(data, bytes.subarray(0, bytes.length - 4));
  assert.throws(
    () => readCachedEmbedding(key),
    (e: unknown) => e instanceof RunCacheError && e.problem === "damaged",
  );
  const fixed = await loadOrComputeEmbedding(key, compute);
  assert.equal(fixed.source, "computed");
  assert.match(fixed.reason ?? "", /damaged/);
  assert.deepEqual(fixed.embedding, first.embedding); // seeded: same result
  const altered = Buffer.from(fs.readFileSync(data));
  altered[0] ^= 0xff;
  fs.writeFileSync(data, altered);
  assert.match((await loadOrComputeEmbedding(key, compute)).reason ?? "", /SHA-256.*damaged/);
  fs.writeFileSync(first.file, "{ not json");
  assert.equal((await loadOrComputeEmbedding(key, compute)).source, "computed");
  assert.equal(calls.count, 4);
  assert.equal((await loadOrComputeEmbedding(key, compute)).source, "cache");
});

test("a folder that cannot be written: the embedding is returned, the write error reported", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ae-embed-"));
  const blocker = path.join(root, "file");
  fs.writeFileSync(blocker, "not a folder");
  const key = keyFor(path.join(blocker, "embeddings"));
  const result = await loadOrComputeEmbedding(key, counting(key).compute);
  assert.equal(result.source, "computed");
  assert.equal(result.embedding.length, key.n * 2);
  assert.match(result.cacheWriteError ?? "", /Could not create/);
});

test("bad keys name the problem", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "ae-embed-"));
  const key = keyFor(folder);
  await assert.rejects(
    loadOrComputeEmbedding({ ...key, method: "t-SNE/x" }, () => new Float32Array(0)),
    /cannot name a cache file: use lower-case letters/,
  );
  await assert.rejects(
    loadOrComputeEmbedding({ ...key, n: 61 }, () => new Float32Array(0)),
    /300 input values are not n 61 × dim 5/,
  );
});
