/**
 * The figure type every plot builder returns: a plain plotly.js spec (data + layout), JSON-ready,
 * that tests can inspect and that the notebook display and the exporters render.
 */

/** One plotly trace; `type` is always set explicitly ("bar", "heatmap", "image", ...). */
export interface Trace {
  type: string;
  [key: string]: unknown;
}

/** A plotly layout object (title, axes, margins, annotations, ...). */
export type Layout = Record<string, unknown>;

/** A plotly figure: what `Plotly.newPlot(div, data, layout, config)` takes. */
export interface Figure {
  data: Trace[];
  layout: Layout;
  config?: Record<string, unknown>;
}
