/**
 * The one look of every figure: font, colours, sizes and margins, chosen here once. Builders
 * start from `baseLayout()` and only add what their chart needs.
 */
import type { Layout } from "./figure";

/** Shared visual settings (plain data; nothing is built at import). */
export const THEME = {
  font: { family: "Inter, 'Helvetica Neue', Arial, sans-serif", size: 13, color: "#222222" },
  titleFontSize: 16,
  /** Tableau 10: distinguishable categorical colours, one per class of a 10-class dataset. */
  colorway: [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
  ],
  paperColor: "#ffffff",
  plotColor: "#ffffff",
  gridColor: "#e6e6e6",
  lineColor: "#888888",
  width: 760,
  height: 440,
  margin: { l: 70, r: 30, t: 60, b: 60 },
  /** Grayscale images: 0 black, 1 white (how MNIST is usually drawn). */
  grayscale: [
    [0, "#000000"],
    [1, "#ffffff"],
  ] as [number, string][],
  /** Sequential scale for heatmaps of non-image quantities (counts, errors). */
  sequential: "Viridis",
} as const;

function axisStyle(): Layout {
  return {
    gridcolor: THEME.gridColor,
    linecolor: THEME.lineColor,
    zerolinecolor: THEME.gridColor,
    ticks: "outside",
    tickcolor: THEME.lineColor,
    automargin: true,
  };
}

/**
 * Where titles sit: below the strip where plotly's toolbar (the modebar, about 25 px high)
 * appears on hover, so the toolbar never covers a title.
 */
export const TITLE_PLACE = { yref: "container", y: 1, yanchor: "top", pad: { t: 30 } } as const;

/** A fresh layout with the theme applied and `title` set (each call returns new objects). */
export function baseLayout(title?: string): Layout {
  return {
    ...(title
      ? {
          title: {
            text: title,
            ...TITLE_PLACE,
            x: 0.02,
            xanchor: "left",
            font: { size: THEME.titleFontSize },
          },
        }
      : {}),
    font: { ...THEME.font },
    colorway: [...THEME.colorway],
    paper_bgcolor: THEME.paperColor,
    plot_bgcolor: THEME.plotColor,
    width: THEME.width,
    height: THEME.height,
    margin: { ...THEME.margin },
    xaxis: axisStyle(),
    yaxis: axisStyle(),
    // Above the plot, right-aligned: clear of the x-axis title and of the left-aligned title.
    legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom" },
    hoverlabel: { font: { family: THEME.font.family } },
  };
}

/** Axis title in the theme's style. */
export function axisTitle(text: string | undefined): Layout {
  return text ? { title: { text } } : {};
}
