/**
 * Finding the Chromium that renders figures. Order: an explicit `executablePath` option, the
 * CHROMIUM_PATH environment variable, then the Debian/Ubuntu install paths. A path that was asked
 * for explicitly (option or CHROMIUM_PATH) must exist: a wrong setting is an error, not silently
 * replaced by another browser.
 */
import * as fs from "node:fs";
import { AutoencoderLabError } from "../errors";

/** Where Debian (`chromium`) and Ubuntu (`chromium-browser`) install Chromium. */
export const CHROMIUM_CANDIDATES: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
];

/** How to get a Chromium, for error messages. */
export const CHROMIUM_INSTALL_HINT =
  "Install it with `sudo apt-get install chromium` (Debian; `chromium-browser` on Ubuntu), or set " +
  "CHROMIUM_PATH to a Chromium or Chrome executable.";

/** No usable Chromium to render figures with. `tried` lists the paths looked at. */
export class ChromiumMissingError extends AutoencoderLabError {
  constructor(
    message: string,
    readonly tried: readonly string[],
  ) {
    super(message);
  }
}

/** Rendering a figure failed (Chromium crashed, plotly rejected the figure, a timeout). */
export class RenderError extends AutoencoderLabError {}

export interface ChromiumLookup {
  /** Use exactly this executable (no fallback). */
  executablePath?: string;
  /** Environment to read CHROMIUM_PATH from. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Fallback paths tried in order. Default CHROMIUM_CANDIDATES. */
  candidates?: readonly string[];
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium executable to launch; throws ChromiumMissingError naming what to do. */
export function findChromium(lookup: ChromiumLookup = {}): string {
  const explicit = lookup.executablePath;
  const fromEnv = (lookup.env ?? process.env).CHROMIUM_PATH;
  const asked = explicit ?? (fromEnv ? fromEnv : undefined);
  if (asked !== undefined) {
    if (isExecutableFile(asked)) return asked;
    const source = explicit !== undefined ? "The Chromium executable" : "CHROMIUM_PATH";
    const problem = fs.existsSync(asked) ? "is not an executable file" : "does not exist";
    throw new ChromiumMissingError(
      `${source} ${asked} ${problem}, so figures cannot be rendered to PNG/SVG. ` +
        `Point ${explicit !== undefined ? "it" : "CHROMIUM_PATH"} at a Chromium executable` +
        (explicit !== undefined ? "" : " or unset it to use /usr/bin/chromium") +
        `. ${CHROMIUM_INSTALL_HINT}`,
      [asked],
    );
  }
  const candidates = lookup.candidates ?? CHROMIUM_CANDIDATES;
  const found = candidates.find(isExecutableFile);
  if (found) return found;
  throw new ChromiumMissingError(
    `No Chromium found to render figures to PNG/SVG (looked at ${candidates.length > 0 ? candidates.join(", ") : "no paths"}; ` +
      `CHROMIUM_PATH is not set). ${CHROMIUM_INSTALL_HINT}`,
    [...candidates],
  );
}
