/**
 * `npm run notebooks`: the older name of `npm run export` (scripts/export.ts), same arguments.
 */
import { AutoencoderLabError } from "../lib/errors";
import { exportNotebooksCli } from "./export";

exportNotebooksCli(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof AutoencoderLabError ? `error: ${e.message}` : e);
  process.exit(1);
});
