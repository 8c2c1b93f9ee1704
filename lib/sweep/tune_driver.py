"""Ray Tune side of a sweep (lib/sweep/runner.ts starts it; users never call it directly).

    python lib/sweep/tune_driver.py <plan.json>

The plan is a sweep spec already validated and normalised by lib/sweep/spec.ts. Each trial is one
ordinary training run of the project's CLI (`scripts/train.ts --ensure --report-lines ...`), run
as a subprocess of a Tune trainable; the CLI prints one `AE_EPOCH {json}` line per epoch, which
becomes one Tune report. Events for the TypeScript side go to stdout as `AE_SWEEP {json}` lines;
everything else (Ray's and Tune's own logs) goes to stderr.

Faults: a trial whose process dies raises, Tune retries it (FailureConfig.max_failures) and the
CLI's --ensure resumes its run folder from the last checkpoint. A sweep that was stopped is
restored from its Tune state (finished trials are skipped; a finished run is also reused by
--ensure). ASHA's stop decisions are recorded in Ray's key-value store, so the trainable tells
its training process "stop scheduler" (the run is marked `stopped`) rather than a plain interrupt.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")

# Our event channel is the real stdout; everything printed by Ray or Tune goes to stderr. Kept on
# the sys module: Tune pickles the callbacks, and a module attribute pickles by reference.
sys.ae_sweep_events = (os.fdopen(os.dup(1), "w", buffering=1), threading.Lock())
os.dup2(2, 1)
sys.stdout = sys.stderr

from loopback_ray import start_cluster  # noqa: E402  (lib/sweep, the script's own folder)
import ray  # noqa: E402
from ray import tune  # noqa: E402
from ray.experimental import internal_kv  # noqa: E402
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler, TrialScheduler  # noqa: E402
from ray.tune.search.basic_variant import BasicVariantGenerator  # noqa: E402

def emit(kind, **fields):
    events, lock = sys.ae_sweep_events
    with lock:
        events.write("AE_SWEEP " + json.dumps({"event": kind, **fields}) + "\n")
        events.flush()


def stop_key(sweep_name, trial_id):
    return f"ae-sweep:{sweep_name}:{trial_id}:stopped-by-scheduler".encode()


def flag_value(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def trial_run(plan, trial_id, config):
    """(run name, runs dir, overrides) of one trial."""
    if plan["mode"] == "variants":
        variant = config["variant"]
        overrides = {**plan["base"], **variant["overrides"]}
        return variant["name"], plan["runsDir"], overrides
    index = int(trial_id.rsplit("_", 1)[-1]) if "_" in trial_id else trial_id
    name = f"trial-{index:03d}" if isinstance(index, int) else f"trial-{index}"
    overrides = {**plan["base"], **config["params"]}
    return name, plan["trialRunsDir"], overrides


def write_json_atomic(path, value):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        json.dump(value, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class AutoencoderTrial(tune.Trainable):
    """One trial: the project's training CLI in a subprocess, one Tune result per epoch."""

    def setup(self, config):
        plan = config["plan"]
        self.plan = plan
        self.name, runs_dir, overrides = trial_run(plan, self.trial_id, config)
        project = os.environ.get("AE_PROJECT_DIR", plan["project"])
        args = [
            plan["node"],
            "--require",
            "ts-node/register/transpile-only",
            os.path.join(project, "scripts", "train.ts"),
            "--ensure",
            "--report-lines",
        ]
        for key, value in overrides.items():
            args += [f"--{key}", flag_value(value)]
        args += ["--train.runName", self.name, "--train.runsDir", runs_dir]
        threads = str(plan["cpusPerTrial"])
        env = {
            **os.environ,
            "TS_NODE_TRANSPILE_ONLY": "1",
            "TF_NUM_INTRAOP_THREADS": threads,
            "TF_NUM_INTEROP_THREADS": "1",
            "AE_QUICK": "1" if plan["preset"] == "quick" else "0",
        }
        logs = os.path.join(plan["sweepFolder"], "logs")
        os.makedirs(logs, exist_ok=True)
        self.log_path = os.path.join(logs, f"{self.name}.log")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            args,
            cwd=project,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.node_id = ray.get_runtime_context().get_node_id()
        self.first_epoch = None
        self.last = None

    def _tail(self):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 2000))
                return f.read().decode("utf8", "replace").strip()
        except OSError:
            return ""

    def step(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf8", "replace").strip()
            if line.startswith("AE_EPOCH "):
                record = json.loads(line[len("AE_EPOCH ") :])
                if self.first_epoch is None:
                    self.first_epoch = record["epoch"]
                last_epoch = record["epoch"] >= record["epochs"]
                self.last = {
                    "epoch": record["epoch"],
                    "epochs": record["epochs"],
                    "val_loss": record["valLoss"],
                    "train_loss": record["trainLoss"],
                    "best_val_loss": record["bestValLoss"],
                    "first_epoch": self.first_epoch,
                    "node_id": self.node_id,
                    "run": self.name,
                    "run_folder": record["folder"],
                }
                if last_epoch:
                    continue  # reported with done=True once the run is saved and evaluated
                return dict(self.last)
            if line.startswith("AE_TRIAL_END "):
                end = json.loads(line[len("AE_TRIAL_END ") :])
                self.proc.wait()
                if self.last is None:
                    raise RuntimeError(f"run {self.name} ended without an epoch: {end}")
                return {**self.last, "run_status": end["status"], tune.result.DONE: True}
        code = self.proc.wait()
        raise RuntimeError(
            f"the training process of run {self.name} exited ({code}) before finishing; "
            f"the last lines of {self.log_path}:\n{self._tail()}"
        )

    def reset_config(self, new_config):
        # Tune reuses this actor for the next trial (reuse_actors): the trial is a new training
        # process either way, but Ray's worker process, with ray and tune imported, is kept.
        self.cleanup()
        self.setup(new_config)
        return True

    def save_checkpoint(self, checkpoint_dir):
        # The trial's real checkpoint is its run folder (the CLI resumes from it); Tune keeps this.
        return {"run": self.name}

    def load_checkpoint(self, checkpoint):
        pass

    def cleanup(self):
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        if proc.poll() is None:
            by_scheduler = False
            try:
                by_scheduler = (
                    internal_kv._internal_kv_get(stop_key(self.plan["name"], self.trial_id))
                    is not None
                )
            except Exception:  # noqa: BLE001 - no key-value store: a plain interrupt
                pass
            try:
                proc.stdin.write(b"stop scheduler\n" if by_scheduler else b"stop\n")
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.log.close()


class RecordingASHA(ASHAScheduler):
    """ASHA that records its stop decisions, so the trial's run is marked stopped by it."""

    def __init__(self, sweep_name, **kwargs):
        super().__init__(**kwargs)
        self.sweep_name = sweep_name

    def on_trial_result(self, tune_controller, trial, result):
        decision = super().on_trial_result(tune_controller, trial, result)
        finishing = result.get(tune.result.DONE) or result.get("epoch", 0) >= result.get("epochs", 1)
        if decision == TrialScheduler.STOP and not finishing:
            internal_kv._internal_kv_put(stop_key(self.sweep_name, trial.trial_id), b"1")
            emit("trial-stopping", trialId=trial.trial_id, epoch=result.get("epoch"))
        return decision


class Events(tune.Callback):
    def on_trial_start(self, iteration, trials, trial, **info):
        emit("trial-start", trialId=trial.trial_id, config=public_config(trial.config))

    def on_trial_result(self, iteration, trials, trial, result, **info):
        keys = ("epoch", "epochs", "val_loss", "train_loss", "best_val_loss", "node_id", "run")
        emit("result", trialId=trial.trial_id, **{k: result.get(k) for k in keys})

    def on_trial_complete(self, iteration, trials, trial, **info):
        emit("trial-end", trialId=trial.trial_id)

    def on_trial_recover(self, iteration, trials, trial, **info):
        emit("trial-retry", trialId=trial.trial_id, error=str(trial.error_file or ""))

    def on_trial_error(self, iteration, trials, trial, **info):
        emit("trial-error", trialId=trial.trial_id)


def public_config(config):
    return {k: v for k, v in config.items() if k != "plan"}


TRIAL_PLAN_KEYS = ("name", "mode", "base", "runsDir", "trialRunsDir", "project", "node")
TRIAL_PLAN_KEYS += ("cpusPerTrial", "preset", "sweepFolder")


def param_space(plan):
    space = {"plan": {k: plan[k] for k in TRIAL_PLAN_KEYS}}
    if plan["mode"] == "variants":
        space["variant"] = tune.grid_search(plan["variants"])
        return space
    params = {}
    for key, values in plan["grid"].items():
        params[key] = tune.grid_search(values)
    for key, dist in plan["sample"].items():
        kind = dist["kind"]
        if kind == "uniform":
            params[key] = tune.uniform(dist["low"], dist["high"])
        elif kind == "loguniform":
            params[key] = tune.loguniform(dist["low"], dist["high"])
        elif kind == "randint":
            params[key] = tune.randint(dist["low"], dist["high"] + 1)
        elif kind == "choice":
            params[key] = tune.choice(dist["values"])
        else:
            raise ValueError(f"unknown distribution {kind}")
    space["params"] = params
    return space


def read_run(folder):
    try:
        with open(os.path.join(folder, "run.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def summarise(plan, grid):
    trials = []
    for result in grid:
        metrics = result.metrics or {}
        trial_id = metrics.get("trial_id") or os.path.basename(result.path or "")
        folder = metrics.get("run_folder")
        record = read_run(folder) if folder else None
        status = record["status"] if record else "error"
        trials.append(
            {
                "trialId": trial_id,
                "run": metrics.get("run"),
                "folder": folder,
                "config": public_config(result.config or {}),
                "status": status,
                "stoppedBy": record.get("stoppedBy") if record else None,
                "epoch": metrics.get("epoch"),
                "valLoss": metrics.get("val_loss"),
                "bestValLoss": metrics.get("best_val_loss"),
                "firstEpoch": metrics.get("first_epoch"),
                "nodeId": metrics.get("node_id"),
                "error": str(result.error) if result.error else None,
            }
        )
    trials.sort(key=lambda t: str(t["run"]))
    return trials


def main(plan_path):
    with open(plan_path) as f:
        plan = json.load(f)
    storage = plan["sweepFolder"]
    started = time.time()
    local = None
    if plan.get("address"):
        ray.init(address=plan["address"], include_dashboard=False, log_to_driver=False)
    else:
        # Local Ray: one node inside this process tree, on 127.0.0.1 only, stopped at the end.
        local = start_cluster([plan.get("localCpus") or os.cpu_count() or 1])
        ray.init(address=local.address, include_dashboard=False, log_to_driver=False)
    resources = ray.cluster_resources()
    nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
    emit("ray", address=plan.get("address") or "local", cpus=resources.get("CPU", 0), nodes=nodes)

    trainable = tune.with_resources(AutoencoderTrial, {"cpu": plan["cpusPerTrial"]})
    scheduler = FIFOScheduler()
    if plan["scheduler"]["kind"] == "asha":
        scheduler = RecordingASHA(
            plan["name"],
            time_attr="epoch",
            metric="val_loss",
            mode="min",
            max_t=plan["scheduler"]["maxEpochs"],
            grace_period=plan["scheduler"]["gracePeriod"],
            reduction_factor=plan["scheduler"]["reductionFactor"],
        )
    run_config = tune.RunConfig(
        name="tune",
        storage_path=storage,
        verbose=0,
        failure_config=tune.FailureConfig(max_failures=plan["maxFailures"]),
        checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
        callbacks=[Events()],
    )
    path = os.path.join(storage, "tune")
    if tune.Tuner.can_restore(path):
        emit("restore", path=path)
        tuner = tune.Tuner.restore(
            path,
            trainable=trainable,
            resume_unfinished=True,
            resume_errored=True,
        )
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=param_space(plan),
            tune_config=tune.TuneConfig(
                scheduler=scheduler,
                num_samples=plan["samples"],
                search_alg=BasicVariantGenerator(
                    random_state=plan["searchSeed"], max_concurrent=plan.get("maxConcurrent") or 0
                ),
                reuse_actors=True,
            ),
            run_config=run_config,
        )
    grid = tuner.fit()
    unfinished = len(grid) - grid.num_terminated - grid.num_errors
    if unfinished > 0:
        # Stopped (Ctrl-C, SIGTERM): Tune saved its state; no results until the sweep is resumed.
        emit("interrupted", unfinished=unfinished)
        ray.shutdown()
        if local is not None:
            local.shutdown()
        sys.exit(130)
    trials = summarise(plan, grid)
    summary = {
        "name": plan["name"],
        "address": plan.get("address") or "local",
        "nodes": nodes,
        "seconds": time.time() - started,
        "trials": trials,
    }
    write_json_atomic(os.path.join(storage, "results.json"), summary)
    emit("done", results=os.path.join(storage, "results.json"))
    ray.shutdown()
    if local is not None:
        local.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
