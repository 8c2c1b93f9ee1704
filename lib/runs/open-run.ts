/**
 * One door into a saved run: `openRun(name)` picks the run the way the notebooks do and returns a
 * handle that loads or computes each part on first use, once (nothing is trained):
 *
 *   read at open      run.json and config.json (name resolution reads the listing anyway)
 *   on first use      history.json, metrics.json; the backend; the final model; the prepared
 *                     dataset (as training saw it); the codes of a split, the seeded sample of
 *                     test codes, their PCA (in memory)
 *   cached on disk    the codes (runs/<name>/codes/<split>.*, ./codes.ts) and the t-SNE / UMAP
 *                     maps of the sample (runs/<name>/codes/embeddings/, ./embeddings.ts): both
 *                     entries of the one fingerprinted run cache (./run-cache.ts), recomputed
 *                     when the model or the settings change
 *
 * The handle is also a LoadedRun (folder, record, config, history, metrics), so it goes wherever
 * one is expected. dispose() frees the model and forgets the data, codes and maps.
 */
import type { Autoencoder } from "../model/autoencoder";
import { initBackend, type BackendInfo } from "../backend/select";
import { resolveConfig, type AnalysisConfig, type BackendChoice } from "../config";
import { loadDataset, prepareDataset } from "../data";
import type { ImageSet, ImageShape, PreparedDataset } from "../data/types";
import { sampleCodes, type CodesSample } from "./code-sample";
import { fitPca, type PcaModel } from "../ml/pca";
import { tsne } from "../ml/tsne";
import { umapEmbed } from "../ml/umap";
import { displayPath } from "../paths";
import { loadOrEncodeCodes, type CodeSplit, type RunCodes } from "./codes";
import { embeddingsFolder, loadOrComputeEmbedding, type CachedEmbedding } from "./embeddings";
import { chooseRunFolder } from "./list";
import { canonicalJson } from "./run-cache";
import {
  loadRunHead,
  loadRunModel,
  readRunHistory,
  readRunMetrics,
  type LoadedRun,
} from "./run-folder";
import type { EpochRecord } from "../records";

export interface OpenRunOptions {
  /** Where runs live; null or absent = the preset's folder (runs, or runs/quick with AE_QUICK=1). */
  runsDir?: string | null;
  /** Seed of the code sample, t-SNE and UMAP. Default 42 (the notebooks'). */
  seed?: number;
  /** Overrides of the run's config.analysis (sampleCount, tsnePerplexity, …); null keeps the run's. */
  analysis?: { [K in keyof AnalysisConfig]?: AnalysisConfig[K] | null };
  /** Backend started when the model or new codes are first needed. Default "auto". */
  backend?: BackendChoice;
}

/** The run's test set as its training saw it (data.testLimit applied). */
export interface RunTestSet {
  set: ImageSet;
  shape: ImageShape;
  classNames: string[];
}

/** t-SNE settings; defaults: analysis.tsnePerplexity (lowered for tiny samples), analysis.tsneIterations. */
export interface TsneSettings {
  perplexity?: number;
  iterations?: number;
  seed?: number;
}

/** UMAP settings; defaults: analysis.umapNeighbors (at most n − 1), analysis.umapMinDist. */
export interface UmapSettings {
  neighbors?: number;
  minDist?: number;
  seed?: number;
}

/** A 2-D map of the sample of test codes, with the settings it was made with. */
export interface RunEmbedding extends CachedEmbedding {
  /** Settings as shown in titles, e.g. "perplexity 30, 1000 iterations". */
  settings: string;
}

/** A saved run, opened: its folder's files plus everything derived from it, loaded lazily. */
export interface RunHandle extends LoadedRun {
  /** The run's name (its folder's name). */
  readonly name: string;
  /** Why this run was opened, in the notebook's terms. */
  readonly why: string;
  /** True when the run trained to the end (a final model and test metrics exist). */
  readonly finished: boolean;
  /** The run's config.analysis with the options' overrides. */
  readonly analysis: AnalysisConfig;
  /** Seed of the sample and the maps. */
  readonly seed: number;
  /** 'Analysing run "x" (runs/x): why.' — the line a notebook prints first. */
  describe(): string;
  /** Start the backend (once). */
  backend(): Promise<BackendInfo>;
  /** The final model, loaded once (freed by dispose()). */
  model(): Promise<Autoencoder>;
  /** The dataset prepared with the run's config: the splits exactly as training saw them. */
  data(): Promise<PreparedDataset>;
  /** The test split of data(), with its shape and class names. */
  testSet(): Promise<RunTestSet>;
  /** The codes of a split (runs/<name>/codes, encoded and cached when missing or stale). */
  codes(split?: CodeSplit): Promise<RunCodes>;
  /** A seeded sample of test codes; default analysis.sampleCount codes with `seed`. */
  sample(count?: number, seed?: number): Promise<CodesSample>;
  /** PCA of every test code (all components), computed once, in memory. */
  pca(): Promise<PcaModel>;
  /** t-SNE map of sample() (cached in runs/<name>/codes/embeddings). */
  tsne(settings?: TsneSettings): Promise<RunEmbedding>;
  /** UMAP map of sample() (cached in runs/<name>/codes/embeddings). */
  umap(settings?: UmapSettings): Promise<RunEmbedding>;
  /** Free the model's tensors and forget the loaded data, codes and maps. */
  dispose(): void;
}

/** t-SNE perplexity must stay below n / 3 for the neighbour graph: lowered for tiny samples. */
export function usablePerplexity(perplexity: number, n: number): number {
  return Math.min(perplexity, Math.max(1, Math.floor((n - 1) / 3)));
}

/** Promises by key, made on first request; a rejected one is forgotten (asking again retries). */
class Memo<T> {
  private values = new Map<string, Promise<T>>();

  get(key: string, make: () => Promise<T>): Promise<T> {
    let value = this.values.get(key);
    if (!value) {
      value = make();
      this.values.set(key, value);
      value.catch(() => this.values.delete(key));
    }
    return value;
  }

  clear(): void {
    this.values.clear();
  }
}

function isPath(name: string): boolean {
  return name.includes("/") || name.includes("\\");
}

/**
 * Open a saved run. `name`: null or absent = "reference" when it exists and is finished, else
 * the newest finished run; "newest" = the newest finished run; a run name under the runs folder;
 * or a path to a run folder. Reads run.json and config.json only; everything else on first use.
 */
export function openRun(name?: string | null, options: OpenRunOptions = {}): RunHandle {
  const runsDir = options.runsDir ?? resolveConfig({}).train.runsDir;
  const chosen =
    name && isPath(name)
      ? { folder: name, why: `the run folder ${displayPath(name)}` }
      : chooseRunFolder(name ?? null, runsDir);
  const { folder, record, config } = loadRunHead(chosen.folder);
  const overrides = Object.fromEntries(
    Object.entries(options.analysis ?? {}).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<AnalysisConfig>;
  const analysis: AnalysisConfig = {
    ...resolveConfig({}).analysis,
    ...config.analysis,
    ...overrides,
  };
  const seed = options.seed ?? 42;
  const backendChoice = options.backend ?? "auto";
  let history: EpochRecord[] | undefined;
  let metrics: { value: unknown } | undefined;
  let loadedModel: Autoencoder | undefined;
  const memo = {
    backend: new Memo<BackendInfo>(),
    model: new Memo<Autoencoder>(),
    data: new Memo<PreparedDataset>(),
    codes: new Memo<RunCodes>(),
    sample: new Memo<CodesSample>(),
    pca: new Memo<PcaModel>(),
    map: new Memo<RunEmbedding>(),
  };

  const handle: RunHandle = {
    folder,
    record,
    config,
    get history() {
      return (history ??= readRunHistory(folder));
    },
    get metrics() {
      return (metrics ??= { value: readRunMetrics(folder) }).value;
    },
    name: record.name,
    why: chosen.why,
    finished: record.status === "completed" || record.status === "early-stopping",
    analysis,
    seed,
    describe: () => `Analysing run "${record.name}" (${displayPath(folder)}): ${chosen.why}.`,
    backend: () => memo.backend.get("", () => initBackend(backendChoice)),
    model: () =>
      memo.model.get("", async () => {
        await handle.backend();
        loadedModel = await loadRunModel(handle);
        return loadedModel;
      }),
    data: () =>
      memo.data.get("", async () =>
        prepareDataset(await loadDataset(config.data), config.data, config.seed),
      ),
    testSet: async () => {
      const d = await handle.data();
      return { set: d.test, shape: d.shape, classNames: d.classNames };
    },
    codes: (split = "test") =>
      memo.codes.get(split, () =>
        loadOrEncodeCodes(handle, split, { data: handle.data, backend: backendChoice }),
      ),
    sample: (count = analysis.sampleCount, sampleSeed = seed) =>
      memo.sample.get(`${count} ${sampleSeed}`, async () =>
        sampleCodes(await handle.codes("test"), count, sampleSeed),
      ),
    pca: () =>
      memo.pca.get("", async () => {
        const c = await handle.codes("test");
        return fitPca(c.codes, c.n, c.dim);
      }),
    tsne: async (settings = {}) => {
      const n = (await handle.sample()).n;
      const wanted = settings.perplexity ?? analysis.tsnePerplexity;
      const perplexity = usablePerplexity(wanted, n);
      const iterations = settings.iterations ?? analysis.tsneIterations;
      const lowered = perplexity < wanted ? ` (lowered for ${n} points)` : "";
      return embed(
        "tsne",
        { perplexity, iterations, seed: settings.seed ?? seed },
        `perplexity ${perplexity}${lowered}, ${iterations} iterations`,
      );
    },
    umap: async (settings = {}) => {
      const n = (await handle.sample()).n;
      const neighbors = Math.min(settings.neighbors ?? analysis.umapNeighbors, n - 1);
      const minDist = settings.minDist ?? analysis.umapMinDist;
      return embed(
        "umap",
        { neighbors, minDist, seed: settings.seed ?? seed },
        `${neighbors} neighbours, minDist ${minDist}`,
      );
    },
    dispose: () => {
      loadedModel?.dispose();
      loadedModel = undefined;
      for (const m of Object.values(memo)) m.clear();
    },
  };

  /** A map of the default sample, read from or written to the run cache. */
  const embed = (
    method: "tsne" | "umap",
    embedOptions: { seed: number } & Record<string, number>,
    settings: string,
  ): Promise<RunEmbedding> =>
    memo.map.get(canonicalJson({ method, embedOptions }), async () => {
      const [c, s] = [await handle.codes("test"), await handle.sample()];
      const cached = await loadOrComputeEmbedding(
        {
          folder: embeddingsFolder(folder),
          method,
          options: embedOptions,
          fingerprint: c.fingerprint,
          points: s.points,
          n: s.n,
          dim: s.dim,
        },
        () =>
          method === "tsne"
            ? tsne(s.points, s.n, s.dim, embedOptions)
            : umapEmbed(s.points, s.n, s.dim, embedOptions),
      );
      return { ...cached, settings };
    });
  return handle;
}
