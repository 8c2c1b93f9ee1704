/** Bar charts: one group of bars per category, one colour per series (e.g. class counts per split). */
import type { Figure, Trace } from "./figure";
import { axisTitle, baseLayout } from "./theme";

export interface BarSeries {
  /** Legend name, e.g. "train". */
  name: string;
  /** One value per category. */
  values: ArrayLike<number>;
}

export interface BarOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** "group": bars side by side (default); "stack": on top of each other. */
  mode?: "group" | "stack";
  /** Show each bar's value as text above it. Default false. */
  showValues?: boolean;
  /** Each series as a share of its own total (0..1) instead of raw values. Default false. */
  normalize?: boolean;
}

/** A bar chart of `series` over `categories` (e.g. class names). */
export function barFigure(
  categories: readonly string[],
  series: readonly BarSeries[],
  options: BarOptions = {},
): Figure {
  const data: Trace[] = series.map((s) => {
    if (s.values.length !== categories.length) {
      throw new RangeError(
        `Bar series "${s.name}" has ${s.values.length} values for ${categories.length} categories.`,
      );
    }
    let values = Array.from(s.values);
    if (options.normalize) {
      const total = values.reduce((a, b) => a + b, 0);
      values = values.map((v) => (total > 0 ? v / total : 0));
    }
    return {
      type: "bar",
      name: s.name,
      x: [...categories],
      y: values,
      ...(options.showValues
        ? {
            text: values.map((v) => (options.normalize ? `${(100 * v).toFixed(1)}%` : String(v))),
            textposition: "outside",
          }
        : {}),
      hovertemplate: `%{x}: %{y${options.normalize ? ":.2%" : ""}}<extra>${s.name}</extra>`,
    };
  });
  const layout = baseLayout(options.title);
  layout.barmode = options.mode ?? "group";
  layout.xaxis = { ...(layout.xaxis as object), ...axisTitle(options.xTitle), type: "category" };
  layout.yaxis = {
    ...(layout.yaxis as object),
    ...axisTitle(options.yTitle),
    ...(options.normalize ? { tickformat: ".0%" } : {}),
  };
  layout.showlegend = series.length > 1;
  return { data, layout };
}
