/**
 * Training from a notebook (notebook 02): a kernel interrupt (■, Kernel → Interrupt) stops
 * training after the current batch like Ctrl-C in the terminal, and the cell then ends normally
 * with one line saying where it stopped and how to continue, so Run All goes on to the cells below.
 *
 * Why tslab's own interrupt handling is set aside while training: on SIGINT tslab abandons the
 * awaited promise and reports the cell as failed ("Interrupted asynchronously", with its stack),
 * while the training loop keeps running (see FIELD-NOTES, tslab). Here the interrupt only asks
 * the loop to stop, the cell waits for it, and tslab's listeners are put back afterwards.
 */
import { overrideValue, type ConfigOverrides, type ExperimentConfig } from "../config";
import { displayPath } from "../paths";
import { runExperiment, type ExperimentResult } from "../train/experiment";
import { notebookReporter } from "../train/progress";

/**
 * Run `task` with a signal that a kernel interrupt (SIGINT) aborts; while it runs, the other
 * SIGINT listeners (tslab's) are set aside, so the interrupt neither fails the cell nor abandons
 * the task. Waits one macrotask first: a SIGINT listener added during a cell's synchronous start
 * (tslab runs it with vm's breakOnSigint) would leave the kernel to die on interrupt.
 */
export async function untilInterrupted<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  await new Promise((resolve) => setImmediate(resolve));
  const controller = new AbortController();
  const others = process.listeners("SIGINT");
  const onInterrupt = () => controller.abort();
  for (const listener of others) process.off("SIGINT", listener);
  process.on("SIGINT", onInterrupt);
  try {
    return await task(controller.signal);
  } finally {
    process.off("SIGINT", onInterrupt);
    for (const listener of others) process.on("SIGINT", listener);
  }
}

/** What a notebook user reads after an interrupt: where training stopped and how to go on. */
export function interruptedLine(outcome: {
  runName: string;
  folder: string;
  config: ExperimentConfig;
  result: { history: readonly unknown[] };
}): string {
  const done = outcome.result.history.length;
  const kept =
    done === 0
      ? "no epoch had finished, so it will start again from epoch 1"
      : `epoch ${done} is its last checkpoint`;
  return (
    `Stopped after epoch ${done} of ${outcome.config.train.epochs}: run "${outcome.runName}" is kept ` +
    `(${displayPath(outcome.folder)}; ${kept}). To continue it, set \`resume = true\` and ` +
    `\`"train.runName": ${JSON.stringify(outcome.runName)}\` in configOverrides in the parameters cell ` +
    "and run the notebook again."
  );
}

/**
 * Train (or resume) a run from a notebook: live progress in one output, a kernel interrupt stops
 * after the current batch (the cell ends normally: print interruptedLine then), and errors
 * give advice in the notebook's terms (`resume = true`, configOverrides' `"train.runName"`). When
 * resuming, epochs given on purpose (`epochs`, or a `"train.epochs"` entry of the notebook's
 * `overrides`) extend the run to that many; without them the run finishes as configured.
 */
export async function trainInNotebook(
  config: ExperimentConfig,
  options: {
    resume?: boolean;
    epochs?: number | null;
    overrides?: ConfigOverrides | Record<string, unknown>;
  } = {},
): Promise<ExperimentResult> {
  const asked = options.overrides ? overrideValue(options.overrides, "train.epochs") : undefined;
  const epochs = options.epochs ?? (typeof asked === "number" ? asked : undefined);
  return untilInterrupted((signal) =>
    runExperiment(config, {
      reporter: notebookReporter(),
      signal,
      resume: options.resume,
      epochs: options.resume ? epochs : undefined,
      audience: "notebook",
    }),
  );
}
