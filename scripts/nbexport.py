"""Offline HTML export, path scrubbing and papermill's TypeScript translator.

Imported by scripts/execute_notebook.py (run with the project venv's Python); not a command.

- `export_html(nb, html_path)`: the executed notebook as one self-contained HTML page through the
  template templates/nbconvert/offline-plotly (extends nbconvert's `lab`): plotly figures
  interactive, plotly.min.js inlined once, nothing loaded from the internet. A page with live
  panels (ae.showLivePanel) also gets tfjs (core, cpu backend and layers bundles) and the
  compiled lib/live/page.ts, once each.
- `scrub_paths(nb)`: rewrites absolute local paths (the project root, the home folder, the
  temporary folder) in every string of the notebook (outputs, metadata, sources) to relative or
  placeholder forms, so exports do not reveal where the project or the user lives. Kernel traces
  (tslab prints `at ... (/abs/node_modules/tslab/...)`), printed paths and papermill's metadata
  (input_path, output_path) are where they come from.
- `local_path_leaks(text)`: what is left of those roots in a finished page; `export_html` refuses
  to write a page that still has any (ExportPathError), so a leak in a form the rewrite did not
  catch (e.g. URL-encoded) fails the export instead of shipping.
- `register_typescript_translator()`: papermill has no TypeScript translator; this one injects
  `let name = <json>;` (tslab allows re-declaring `let` across cells) and reads the parameters
  cell back (`let name: type = value; // help`) for papermill's unknown-parameter warnings.
"""

import json
import os
import re
import tempfile
from pathlib import Path

import markupsafe

PLOTLY_MIME = "application/vnd.plotly.v1+json"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = PROJECT_ROOT / "templates" / "nbconvert"
TEMPLATE_NAME = "offline-plotly"


class ExportPathError(Exception):
    """A finished HTML page still contains an absolute local path."""


# ---------------------------------------------------------------------------------------------
# Absolute local paths


def _variants(path):
    """A folder and its symlink-resolved form, without a trailing slash; '/' itself is skipped."""
    out = set()
    for p in (path, os.path.realpath(path)):
        p = os.path.normpath(p)
        if p and p != os.sep:
            out.add(p)
    return out


def local_roots():
    """(absolute folder, replacement) pairs, longest folder first so the most specific wins."""
    roots = []
    for p in _variants(str(PROJECT_ROOT)):
        roots.append((p, "."))
    home = os.path.expanduser("~")
    for p in _variants(home):
        roots.append((p, "~"))
    for p in _variants(tempfile.gettempdir()):
        roots.append((p, "$TMPDIR"))
    extra = os.environ.get("AE_EXPORT_EXTRA_ROOTS", "")
    for p in filter(None, extra.split(os.pathsep)):
        for v in _variants(p):
            roots.append((v, "<local>"))
    # Longest first: the project may live inside the home folder or the temporary folder.
    seen = {}
    for p, rep in sorted(roots, key=lambda r: -len(r[0])):
        seen.setdefault(p, rep)
    return list(seen.items())


def _root_pattern(root):
    # Not preceded by a name character, ':' or '/' (so "https://host/root/x" is not "/root"), and
    # followed by a separator or the end of the name (so "/work/main2" is not "/work/main").
    return re.compile(r"(?<![\w.:/~-])" + re.escape(root) + r"(?P<rest>/|(?![\w.-]))")


_PATTERNS = {}


def _patterns():
    key = tuple(local_roots())
    if key not in _PATTERNS:
        _PATTERNS.clear()
        _PATTERNS[key] = [(_root_pattern(root), root, rep) for root, rep in key]
    return _PATTERNS[key]


def scrub_text(text):
    """`text` with absolute local paths rewritten: <project>/x -> x, <home>/x -> ~/x, <tmp>/x -> $TMPDIR/x."""
    if "/" not in text:
        return text, 0
    total = 0
    for pattern, _root, rep in _patterns():

        def sub(m, rep=rep):
            if m.group("rest") == "/":
                return "" if rep == "." else rep + "/"
            return rep

        text, n = pattern.subn(sub, text)
        total += n
    return text, total


def scrub_paths(node):
    """Rewrite absolute local paths in every string of a notebook (in place). Returns the count."""
    count = 0
    if isinstance(node, dict):
        for k in list(node.keys()):
            v = node[k]
            if isinstance(v, str):
                node[k], n = scrub_text(v)
                count += n
            else:
                count += scrub_paths(v)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, str):
                node[i], n = scrub_text(v)
                count += n
            else:
                count += scrub_paths(v)
    return count


def local_path_leaks(text):
    """Each remaining absolute local path in `text` (also JSON-escaped or URL-encoded) with context."""
    leaks = []
    for _pattern, root, _rep in _patterns():
        forms = {root, root.replace("/", "\\/"), root.replace("/", "%2F"), root.replace("/", "%2f")}
        for form in forms:
            start = 0
            while True:
                i = text.find(form, start)
                if i < 0:
                    break
                start = i + len(form)
                before = text[i - 1] if i > 0 else ""
                after = text[start] if start < len(text) else ""
                # The same boundary rules as the rewrite: skip "https://host/root" and "/work/main2".
                if before and (before.isalnum() or before in "_.:~-" or (before == "/" and form == root)):
                    continue
                if after and (after.isalnum() or after in "_.-"):
                    continue
                leaks.append(text[max(0, i - 60) : start + 60].replace("\n", " "))
    return leaks


# ---------------------------------------------------------------------------------------------
# HTML export


def plotly_json(figure):
    """A plotly figure as JSON safe inside <script>: every <, > and & escaped as \\uXXXX."""
    if isinstance(figure, str):
        figure = json.loads(figure)
    text = json.dumps(figure, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return markupsafe.Markup(text)


def plotly_js_path():
    """plotly.min.js shipped with the venv's plotly package (plotly.js 4.1.1), else plotly.js-dist's."""
    try:
        import plotly

        candidate = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        if candidate.exists():
            return candidate
    except ImportError:
        pass
    candidate = PROJECT_ROOT / "node_modules" / "plotly.js-dist" / "plotly.js"
    if candidate.exists():
        return candidate
    raise FileNotFoundError(
        "plotly.min.js not found in the venv's plotly package nor node_modules/plotly.js-dist: "
        "run `bash scripts/setup.sh`"
    )


def count_plotly_outputs(nb):
    return sum(
        1
        for cell in nb.get("cells", [])
        for out in cell.get("outputs", []) or []
        if PLOTLY_MIME in (out.get("data") or {})
    )


LIVE_PANEL_MARK = 'class="ae-live-panel"'
# The official browser bundles of tfjs's core, cpu backend and layers API (the packages tf.min.js
# is built from, same version): 0.72 MB instead of 1.47 MB (no webgl/wasm backends, no converter),
# all the panel needs. Loaded in this order, each extends the global `tf`.
TFJS_BUNDLES = [
    PROJECT_ROOT / "node_modules" / "@tensorflow" / "tfjs-core" / "dist" / "tf-core.es2017.min.js",
    PROJECT_ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-cpu" / "dist" / "tf-backend-cpu.es2017.min.js",
    PROJECT_ROOT / "node_modules" / "@tensorflow" / "tfjs-layers" / "dist" / "tf-layers.es2017.min.js",
]
LIVE_PAGE_PATH = PROJECT_ROOT / "dist" / "lib" / "live" / "page.js"


def count_live_panels(nb):
    """Outputs made by ae.showLivePanel (text/html holding an .ae-live-panel element)."""
    count = 0
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            html = (out.get("data") or {}).get("text/html", "")
            if isinstance(html, list):
                html = "".join(html)
            count += LIVE_PANEL_MARK in html
    return count


def _inline_script(path, hint):
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: {hint}")
    js = path.read_text(encoding="utf-8")
    if "</script" in js.lower():
        raise RuntimeError(f"{path} contains '</script': cannot inline it")
    return js


def live_panel_scripts():
    """(the tfjs bundles, the page code of lib/live/page.ts wrapped to run once) for pages with a live panel."""
    tfjs = "\n;\n".join(_inline_script(path, "run `bash scripts/setup.sh`") for path in TFJS_BUNDLES)
    page = _inline_script(LIVE_PAGE_PATH, "run `npm run build` (the page code is compiled from lib/live/page.ts)")
    page = re.sub(r"^//# sourceMappingURL=.*$", "", page, flags=re.M)
    # The compiled file is a CommonJS module without imports: give it an `exports` object.
    wrapped = (
        "(function () {\nvar exports = {};\n" + page + "\n;window.aeLivePanel = exports;\n"
        "exports.mountLivePanels(window.tf, document);\n})();"
    )
    return tfjs, wrapped


def make_exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        # Belt and braces: the template switches these blocks off; empty URLs in case one slips in.
        require_js_url="",
        mathjax_url="",
        mermaid_js_url="",
        mermaid_layout_elk_js_url="",
        jquery_url="",
        jupyter_widgets_base_url="",
    )
    exporter.register_filter("plotly_json", plotly_json)
    return exporter


def render_html(nb, name):
    """The page for a notebook node (not written). `name` becomes the page title."""
    resources = {"metadata": {"name": name}}
    if count_plotly_outputs(nb):
        js = plotly_js_path().read_text(encoding="utf-8")
        if "</script" in js.lower():
            raise RuntimeError(f"{plotly_js_path()} contains '</script': cannot inline it")
        resources["plotly_js"] = markupsafe.Markup(js)
    if count_live_panels(nb):
        tfjs, page = live_panel_scripts()
        resources["tfjs_js"] = markupsafe.Markup(tfjs)
        resources["live_panel_js"] = markupsafe.Markup(page)
    body, _ = make_exporter().from_notebook_node(nb, resources=resources)
    return body


def export_html(nb, html_path):
    """Write the offline page for an executed (already scrubbed) notebook; refuse if paths leak."""
    name = os.path.splitext(os.path.basename(html_path))[0]
    body = render_html(nb, name)
    leaks = local_path_leaks(body)
    if leaks:
        raise ExportPathError(
            f"{len(leaks)} absolute local path(s) left in the HTML export, e.g. ...{leaks[0]}...; "
            "print paths relative to the project (ae.displayPath) instead"
        )
    tmp = html_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(body)
    os.replace(tmp, html_path)
    return html_path


# ---------------------------------------------------------------------------------------------
# papermill: a TypeScript translator

_DECL = re.compile(
    r"^\s*(?:let|const|var)\s+(?P<name>[A-Za-z_$][\w$]*)\s*(?::\s*(?P<type>[^=]+?))?\s*=\s*"
    r"(?P<value>.+?);?\s*(?://\s*(?P<help>.*))?$"
)


def register_typescript_translator():
    from papermill.models import Parameter
    from papermill.translators import Translator, papermill_translators

    class TypescriptTranslator(Translator):
        @classmethod
        def translate_raw_str(cls, val):
            return json.dumps(val, ensure_ascii=False)

        @classmethod
        def translate_escaped_str(cls, str_val):
            return json.dumps(str_val, ensure_ascii=False)

        @classmethod
        def translate_none(cls, val):
            return "null"

        @classmethod
        def translate_bool(cls, val):
            return "true" if val else "false"

        @classmethod
        def translate_int(cls, val):
            return json.dumps(val)

        @classmethod
        def translate_float(cls, val):
            return json.dumps(val, allow_nan=False)

        @classmethod
        def translate_dict(cls, val):
            return json.dumps(val, ensure_ascii=False, allow_nan=False)

        @classmethod
        def translate_list(cls, val):
            return json.dumps(val, ensure_ascii=False, allow_nan=False)

        @classmethod
        def comment(cls, cmt_str):
            return f"// {cmt_str}".strip()

        @classmethod
        def assign(cls, name, str_val):
            return f"let {name} = {str_val};"

        @classmethod
        def inspect(cls, parameters_cell):
            params = []
            for line in parameters_cell.source.splitlines():
                m = _DECL.match(line)
                if m:
                    params.append(
                        Parameter(
                            name=m.group("name"),
                            inferred_type_name=(m.group("type") or "None").strip(),
                            default=m.group("value").strip().rstrip(";"),
                            help=(m.group("help") or "").strip(),
                        )
                    )
            return params

    papermill_translators.register("typescript", TypescriptTranslator)
    return TypescriptTranslator


# ---------------------------------------------------------------------------------------------
# Command line: export an already executed notebook (lib/notebook/runner.ts exportNotebookHtml)


def main(argv=None):
    import argparse
    import sys

    import nbformat

    ap = argparse.ArgumentParser(description="Export an executed notebook to offline HTML.")
    ap.add_argument("notebook")
    ap.add_argument("--html", help="output file (default: the notebook's path with .html)")
    args = ap.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)
    scrubbed = scrub_paths(nb)
    html = os.path.abspath(args.html or os.path.splitext(args.notebook)[0] + ".html")
    try:
        export_html(nb, html)
    except ExportPathError as e:
        print(json.dumps({"ok": False, "export_error": str(e)}))
        return 1
    print(json.dumps({"ok": True, "html": html, "scrubbed": scrubbed}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
