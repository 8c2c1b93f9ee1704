// lib/live: the names other wings, scripts and tests use. The page code (page.ts) is built into exported pages.
export { fromBase64, imageBce, imageScore, mnistPreprocess, placeAmongNeighbors } from "./page";
export {
  LIVE_PANEL_NOTE,
  LivePanelError,
  livePanelHtml,
  livePanelPayload,
  liveThreshold,
  showLivePanel,
} from "./panel";
export type { LiveScoreName } from "./types";
