/** Generic line charts: several named series over a shared x axis, optional log axes. */
import type { Figure, Trace } from "./figure";
import { PlotInputError, checkSameLength } from "./check";
import { THEME, axisTitle, baseLayout } from "./theme";

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** "solid" (default), "dash", "dot", ... */
  dash?: string;
  /** Override the theme colour for this series. */
  color?: string;
}

export interface LineOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
  /** Draw a marker at each point. Default: when no series has more than 50 points. */
  markers?: boolean;
}

/** A line chart of several series; non-finite y values leave gaps. */
export function lineFigure(series: readonly LineSeries[], options: LineOptions = {}): Figure {
  const markers = options.markers ?? series.every((s) => s.x.length <= 50);
  const data: Trace[] = series.map((s, i) => {
    checkSameLength(`Line series "${s.name}"`, { x: s.x, y: s.y });
    for (const [log, values, axis] of [
      [options.logX, s.x, "x"],
      [options.logY, s.y, "y"],
    ] as const) {
      if (!log) continue;
      for (let k = 0; k < values.length; k++) {
        if (values[k] <= 0) {
          throw new PlotInputError(
            `Line series "${s.name}": ${axis}[${k}] is ${values[k]}, which a log ${axis} axis cannot show; drop it or use a linear axis.`,
          );
        }
      }
    }
    const color = s.color ?? THEME.colorway[i % THEME.colorway.length];
    return {
      type: "scatter",
      mode: markers ? "lines+markers" : "lines",
      name: s.name,
      x: Array.from(s.x),
      y: Array.from(s.y, (v) => (Number.isFinite(v) ? v : null)),
      line: { color, width: 2, ...(s.dash ? { dash: s.dash } : {}) },
      ...(markers ? { marker: { color, size: 6 } } : {}),
      hovertemplate: `%{x}: %{y:.4g}<extra>${s.name}</extra>`,
    };
  });
  const layout = baseLayout(options.title);
  layout.xaxis = {
    ...(layout.xaxis as object),
    ...axisTitle(options.xTitle),
    ...(options.logX ? { type: "log" } : {}),
  };
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(options.yTitle),
    ...(options.logY ? { type: "log" } : {}),
  };
  layout.showlegend = series.length > 1;
  layout.hovermode = "closest";
  return { data, layout };
}
