"""Execute one notebook headless through its Jupyter kernel and export it to offline HTML.

Run with the project venv's Python (lib/notebook/runner.ts does this):

    .venv/bin/python scripts/execute_notebook.py NOTEBOOK --output-dir DIR [--output-name NAME]
        [--timeout S] [--no-html] [--parameters JSON]

Without --parameters the notebook runs through nbclient as committed; with --parameters (a JSON
object) it runs through papermill, which injects `let name = <json>;` after the cell tagged
"parameters" (scripts/nbexport.py registers papermill's TypeScript translator).

The kernel's working directory is the notebook's folder (so `../dist/lib` imports work) and it
inherits this process's environment (so AE_QUICK=1 reaches the notebook). The executed copy is
written to DIR even when a cell fails, so the partial outputs can be inspected. Absolute local
paths (project root, home, temporary folder) are rewritten in the executed copy and in the HTML,
and an HTML page that still contains one is not written (scripts/nbexport.py).

A failed cell is detected from the kernel's execute_reply status, which tslab sets to "error"
(tslab sends no `error` message: its trace is only in the cell's stderr). We report the cell's
index, its number among code cells, its first source line and its stderr/error outputs.

Prints exactly one JSON object on stdout:
    {"ok": true, "executed": PATH, "html": PATH|null, "cells": N, "scrubbed": K}
    {"ok": false, "executed": PATH, "cell_index": I, "code_cell_number": K, "cell_count": N,
     "source": SRC, "first_line": LINE, "error": TEXT}
    {"ok": false, "export_error": TEXT}            the HTML could not be written
Exit code: 0 success, 1 a cell failed (or the kernel died / timed out, or the export failed),
2 bad usage or setup.
"""

import argparse
import json
import os
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INJECTED = "injected-parameters"
PAPERMILL_ERROR = "papermill-error-cell-tag"


def cell_error_text(cell, fallback):
    """The stderr and error outputs of a cell, without terminal colour codes."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}")
    text = "".join(parts).strip() or str(fallback).strip()
    return ANSI.sub("", text)


def first_line(source):
    for line in str(source).splitlines():
        if line.strip():
            return line.strip()
    return ""


def failure_report(nb, index, message, executed):
    """The JSON report of a failed cell; indexes count the notebook's own cells (not papermill's)."""
    own = [
        c for c in nb.cells
        if PAPERMILL_ERROR not in c.get("metadata", {}).get("tags", [])
        and INJECTED not in c.get("metadata", {}).get("tags", [])
    ]
    cell = nb.cells[index] if 0 <= index < len(nb.cells) else {}
    own_index = next((i for i, c in enumerate(own) if c is cell), index)
    code_number = sum(1 for c in own[: own_index + 1] if c.cell_type == "code")
    source = cell.get("source", "")
    return {
        "ok": False,
        "executed": executed,
        "cell_index": own_index,
        "code_cell_number": code_number,
        "cell_count": len(own),
        "source": source,
        "first_line": first_line(source),
        "error": message,
    }


def run_nbclient(nb, src, timeout):
    """Execute with nbclient. Returns (failed cell index or None, exception or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(src)}},
    )
    current = {"index": -1}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    client.on_cell_start = on_cell_start
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        return current["index"], e
    return None, None


def run_papermill(src, executed, parameters, timeout):
    """Execute with papermill. Returns (notebook, failed cell index or None, exception or None)."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from nbexport import register_typescript_translator

    register_typescript_translator()
    failure = None
    try:
        pm.execute_notebook(
            src,
            executed,
            parameters=parameters,
            kernel_name="tslab",
            language="typescript",
            cwd=os.path.dirname(src),
            progress_bar=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as e:
        failure = e
    except Exception as e:  # a timeout or a dead kernel: papermill re-raises nbclient's errors
        if type(e).__name__ not in ("CellTimeoutError", "DeadKernelError", "CellExecutionError"):
            raise
        failure = e
    nb = nbformat.read(executed, as_version=4)
    if failure is None:
        return nb, None, None
    index = next(
        (i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("exception")),
        -1,
    )
    return nb, index, failure


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--output-name", help="file name of the executed copy (default: the notebook's)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML export")
    ap.add_argument("--parameters", help="JSON object: run through papermill with these parameters")
    args = ap.parse_args(argv)

    try:
        import nbformat
        from jupyter_client.kernelspec import NoSuchKernel

        import nbexport
        if args.parameters is not None:
            import papermill  # noqa: F401
    except ImportError as e:
        print(json.dumps({"ok": False, "setup_error": f"{e}: run `bash scripts/setup.sh`"}))
        return 2

    src = os.path.abspath(args.notebook)
    out_dir = os.path.abspath(args.output_dir)
    os.makedirs(out_dir, exist_ok=True)
    name = args.output_name or os.path.basename(src)
    executed = os.path.join(out_dir, name)

    try:
        if args.parameters is not None:
            parameters = json.loads(args.parameters)
            if not isinstance(parameters, dict):
                print(json.dumps({"ok": False, "setup_error": "--parameters must be a JSON object"}))
                return 2
            nb, index, failure = run_papermill(src, executed, parameters, args.timeout)
        else:
            nb = nbformat.read(src, as_version=4)
            try:
                index, failure = run_nbclient(nb, src, args.timeout)
            except BaseException:
                # Anything unexpected (e.g. Ctrl-C): keep the partial outputs, then let it surface.
                nbexport.scrub_paths(nb)
                nbformat.write(nb, executed)
                raise
    except NoSuchKernel as e:
        print(json.dumps({"ok": False, "setup_error": f"{e}: run `bash scripts/setup.sh`"}))
        return 2

    scrubbed = nbexport.scrub_paths(nb)
    nbformat.write(nb, executed)

    if failure is not None:
        name_ = type(failure).__name__
        if name_ == "CellTimeoutError":
            message = f"cell timed out after {args.timeout} s ({failure})"
        elif name_ == "DeadKernelError":
            message = f"kernel died ({failure})"
        else:
            cell = nb.cells[index] if 0 <= index < len(nb.cells) else {}
            message = cell_error_text(cell, failure)
        print(json.dumps(failure_report(nb, index, message, executed)))
        return 1

    html = None
    if not args.no_html:
        html = os.path.splitext(executed)[0] + ".html"
        try:
            nbexport.export_html(nb, html)
        except nbexport.ExportPathError as e:
            print(json.dumps({"ok": False, "executed": executed, "export_error": str(e)}))
            return 1
    print(json.dumps({"ok": True, "executed": executed, "html": html, "cells": len(nb.cells), "scrubbed": scrubbed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
