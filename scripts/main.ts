/**
 * The main job, run by `npm run main` (and at the end of `bash scripts/setup.sh`).
 * For now it executes every notebook and exports it to HTML in exports/; training and the other
 * stages will be added here. AE_QUICK=1 selects the quick preset everywhere.
 */
import { AutoencoderLabError } from "../lib/errors";
import { runNotebooksCli } from "./run-notebooks";

async function main(): Promise<void> {
  await runNotebooksCli([]);
}

main().catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
