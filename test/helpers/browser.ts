// What the browser tests share: Debian's Chromium with the house flags, a free loopback port, and
// a JupyterLab server environment isolated from the user's own Jupyter setup.
import * as net from "node:net";
import * as path from "node:path";
import { projectPath } from "../../lib/paths";

export const CHROMIUM = "/usr/bin/chromium";

/** Headless Chromium as the house runs it: nothing in the background, no GPU. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Environment of a test JupyterLab server with the quick preset: the venv's kernels and lab
 * extensions come first, and config, data, runtime, settings and workspaces live under `state`.
 */
export function jupyterTestEnv(state: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AE_QUICK: "1",
    JUPYTER_PATH: projectPath(".venv", "share", "jupyter"),
    JUPYTER_CONFIG_DIR: path.join(state, "config"),
    JUPYTER_DATA_DIR: path.join(state, "data"),
    JUPYTER_RUNTIME_DIR: path.join(state, "runtime"),
    JUPYTERLAB_SETTINGS_DIR: path.join(state, "settings"),
    JUPYTERLAB_WORKSPACES_DIR: path.join(state, "workspaces"),
  };
}

/** A TCP port free on 127.0.0.1 right now (for a test server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
