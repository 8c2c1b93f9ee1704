"""Execute one notebook headless through its Jupyter kernel and export it to HTML.

Run with the project venv's Python (lib/notebook-runner.ts does this):

    .venv/bin/python scripts/execute_notebook.py NOTEBOOK --output-dir DIR [--timeout S] [--no-html]

The kernel's working directory is the notebook's folder (so `../dist/lib` imports work) and it
inherits this process's environment (so AE_QUICK=1 reaches the notebook). The executed copy is
written to DIR even when a cell fails, so the partial outputs can be inspected.

A failed cell is detected from the kernel's execute_reply status, which tslab sets to "error"
(tslab sends no `error` message: its trace is only in the cell's stderr). We report the cell's
index, its source and its stderr/error outputs.

Prints exactly one JSON object on stdout:
    {"ok": true, "executed": PATH, "html": PATH|null, "cells": N}
    {"ok": false, "executed": PATH, "cell_index": I, "code_cell_number": K, "cell_count": N,
     "source": SRC, "error": TEXT}
Exit code: 0 success, 1 a cell failed (or the kernel died / timed out), 2 bad usage or setup.
"""

import argparse
import json
import os
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML export")
    args = ap.parse_args(argv)

    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        from jupyter_client.kernelspec import NoSuchKernel
    except ImportError as e:
        print(json.dumps({"ok": False, "setup_error": f"{e}: run `bash scripts/setup.sh`"}))
        return 2

    src = os.path.abspath(args.notebook)
    out_dir = os.path.abspath(args.output_dir)
    os.makedirs(out_dir, exist_ok=True)
    name = os.path.basename(src)
    executed = os.path.join(out_dir, name)

    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(
        nb,
        timeout=args.timeout,
        allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(src)}},
    )
    current = {"index": -1}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    client.on_cell_start = on_cell_start
    failure = None
    try:
        client.execute()
    except NoSuchKernel as e:
        print(json.dumps({"ok": False, "setup_error": f"{e}: run `bash scripts/setup.sh`"}))
        return 2
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failure = e
    finally:
        nbformat.write(nb, executed)

    if failure is not None:
        index = current["index"]
        cell = nb.cells[index] if 0 <= index < len(nb.cells) else {}
        if isinstance(failure, CellTimeoutError):
            message = f"cell timed out after {args.timeout} s ({failure})"
        elif isinstance(failure, DeadKernelError):
            message = f"kernel died ({failure})"
        else:
            message = cell_error_text(cell, failure)
        code_number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
        print(json.dumps({
            "ok": False,
            "executed": executed,
            "cell_index": index,
            "code_cell_number": code_number,
            "cell_count": len(nb.cells),
            "source": cell.get("source", ""),
            "error": message,
        }))
        return 1

    html = None
    if not args.no_html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        html = os.path.splitext(executed)[0] + ".html"
        with open(html, "w", encoding="utf-8") as f:
            f.write(body)
    print(json.dumps({"ok": True, "executed": executed, "html": html, "cells": len(nb.cells)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
