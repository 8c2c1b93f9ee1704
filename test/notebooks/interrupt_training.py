"""Interrupt notebook 02's training cell through a real tslab kernel, the way JupyterLab's ■ does.

Run with the project venv's Python (test/notebooks/training-interrupt.test.ts does this), with the
kernel's environment set to AE_QUICK=1:

    .venv/bin/python test/notebooks/interrupt_training.py RUN_NAME

Steps: run notebook 02's cells up to the training cell with `"train.epochs": 200` and
`"train.runName": RUN_NAME` in configOverrides, injected after the parameters cell; start training; after the live output shows epoch 2, send the
kernel an interrupt (SIGINT, jupyter_client's interrupt_kernel); wait for the cell's reply; then
read back `outcome` and the run folder from the kernel, run the remaining cells (they must cope
with an interrupted run), and finally resume the run from the notebook for one more epoch.

Prints one JSON object on stdout with what was observed; exit code 0 unless the kernel failed to
start. The caller asserts on the JSON.
"""

import json
import os
import queue
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOK = os.path.join(ROOT, "notebooks", "02-training.ipynb")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


STDERR = []
# The kernel manager, for the liveness check while waiting for output.
KERNEL = {}


def run(kc, code, timeout=300, on_output=None):
    """Execute code; return (reply status, stdout+stderr text, html text). Its stderr alone is
    left in STDERR."""
    msg_id = kc.execute(code)
    text, html = [], []
    STDERR.clear()
    deadline = time.time() + timeout
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            # A kernel that died (a native crash) sends nothing more: say so instead of waiting.
            if not KERNEL["manager"].is_alive():
                raise RuntimeError(f"the kernel died while running: {code[:80]!r}") from None
            if time.time() > deadline:
                raise
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text.append(content["text"])
            if content["name"] == "stderr":
                STDERR.append(content["text"])
        elif kind in ("display_data", "update_display_data"):
            html.append(content.get("data", {}).get("text/html", ""))
            if on_output:
                on_output(html[-1])
        elif kind == "status" and content["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    return reply["content"]["status"], ANSI.sub("", "".join(text)), "\n".join(html)


def main():
    from jupyter_client.manager import KernelManager

    run_name = sys.argv[1]

    def overrides(epochs=None):
        entries = {"train.runName": run_name, **({"train.epochs": epochs} if epochs else {})}
        return json.dumps(entries)
    nb = json.load(open(NOTEBOOK))
    cells = {c["id"]: "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"}
    order = [c["id"] for c in nb["cells"] if c["cell_type"] == "code"]

    km = KernelManager(kernel_name="tslab")
    KERNEL["manager"] = km
    km.start_kernel(cwd=os.path.dirname(NOTEBOOK), env={**os.environ, "AE_QUICK": "1"})
    kc = km.client()
    kc.start_channels()
    result = {"steps": {}}
    try:
        kc.wait_for_ready(timeout=120)
        for cid in order[: order.index("train")]:
            status, text, _ = run(kc, cells[cid])
            result["steps"][cid] = status
            if cid == "parameters":
                status, text, _ = run(kc, f"configOverrides = {overrides(200)};")
                result["steps"]["injected"] = status

        sent = {"at": None}

        def interrupt_after_epoch_2(html):
            if sent["at"] is None and re.search(r"epoch 2/200 ", html):
                sent["at"] = time.time()
                km.interrupt_kernel()

        started = time.time()
        status, text, html = run(kc, cells["train"], timeout=600, on_output=interrupt_after_epoch_2)
        result["train_reply"] = status
        result["train_text"] = text[-600:]
        result["train_stderr"] = "".join(STDERR)
        result["interrupt_sent"] = sent["at"] is not None
        result["train_cell_seconds_after_interrupt"] = (
            round(time.time() - sent["at"], 2) if sent["at"] else None
        )
        result["train_cell_seconds"] = round(time.time() - started, 2)

        # The loop stops at the end of its batch; `outcome` is set once runExperiment returns.
        probe = (
            "console.log(JSON.stringify(outcome === null ? null : {"
            " stop: outcome.result.stopReason, epochs: outcome.result.history.length,"
            " metrics: outcome.metrics === null,"
            " status: ae.loadRun(outcome.runName, config.train.runsDir).record.status,"
            ' lock: fs.existsSync(outcome.folder + "/.lock") }));'
        )
        observed = None
        for _ in range(40):
            status, text, _ = run(kc, probe)
            line = text.strip().splitlines()[-1] if text.strip() else "null"
            observed = json.loads(line) if line.startswith(("{", "null")) else {"raw": text}
            if observed is not None:
                break
            time.sleep(0.5)
        result["after_interrupt"] = observed
        # Training really stopped: the history does not grow any more.
        time.sleep(3)
        status, text, _ = run(kc, "console.log(ae.loadRun(outcome!.runName, config.train.runsDir).history.length);")
        result["epochs_3s_later"] = int(text.strip().splitlines()[-1]) if text.strip() else None

        for cid in order[order.index("train") + 1 :]:
            status, text, _ = run(kc, cells[cid])
            result["steps"][cid] = status
            if status != "ok":
                result.setdefault("failures", {})[cid] = text[-800:]
        result["curves_text"] = ""

        # Resume from the notebook: one more epoch, then the run is completed and evaluated.
        done = observed["epochs"] if isinstance(observed, dict) and "epochs" in observed else 0
        status, text, _ = run(kc, f"resume = true;\nconfigOverrides = {overrides(done + 1)};")
        status, text, _ = run(kc, cells["config"])
        result["steps"]["resume-config"] = status
        status, text, _ = run(kc, cells["train"], timeout=600)
        result["steps"]["resume-train"] = status
        status, text, _ = run(
            kc,
            "console.log(JSON.stringify({ stop: outcome!.result.stopReason,"
            " epochs: outcome!.result.history.length, metrics: outcome!.metrics !== null }));"
            "\noutcome!.model.dispose();",
        )
        lines = text.strip().splitlines()
        result["after_resume"] = json.loads(lines[-1]) if lines else None

        # The same runName again without resume: refused at once, before loading any data.
        status, text, _ = run(kc, f"resume = false;\nconfigOverrides = {overrides()};")
        status, text, _ = run(kc, cells["config"])
        status, text, html = run(kc, cells["train"], timeout=120)
        result["rerun"] = {"reply": status, "stderr": "".join(STDERR), "text": text, "html": html}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
