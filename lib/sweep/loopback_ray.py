"""Ray nodes on this machine bound to loopback (127.0.0.1) only, for sweeps and their tests.

Used by lib/sweep/tune_driver.py (local Ray: one node inside the sweep process) and by
scripts/ray_loopback_cluster.py (a cluster of several raylets on one machine, for tests). Two
things Ray 2.60 needs here (docs/sweeps.md):
- RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, else Ray swaps 127.0.0.1 for the machine's interface
  address;
- fixed agent ports: with port 0 the raylet waits a fixed 30 s for the agents to write theirs and
  aborts when a busy machine starts them more slowly.
"""

import os
import socket

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

LOOPBACK = "127.0.0.1"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def node_args(num_cpus):
    return {
        "num_cpus": num_cpus,
        "node_ip_address": LOOPBACK,
        "include_dashboard": False,
        "metrics_agent_port": free_port(),
        "runtime_env_agent_port": free_port(),
        "dashboard_agent_listen_port": free_port(),
        "metrics_export_port": free_port(),
    }


def _stop_children():
    """Kill the Ray processes a failed start left behind (our only child processes)."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(children, timeout=10)


def start_cluster(cpus_per_node, attempts=4):
    """A Ray cluster with one raylet per entry of cpus_per_node, all on 127.0.0.1.

    Ray 2.60's raylet gives its dashboard agent a fixed 15 s to write its port file and aborts
    otherwise; on a machine busy enough that a Python process takes longer to start, a start can
    fail, so a failed start is cleaned up and tried again.
    """
    import sys

    from ray.cluster_utils import Cluster

    for attempt in range(1, attempts + 1):
        try:
            cluster = Cluster(initialize_head=True, head_node_args=node_args(cpus_per_node[0]))
            for cpus in cpus_per_node[1:]:
                cluster.add_node(**node_args(cpus))
            cluster.wait_for_nodes()
            return cluster
        except Exception as error:  # noqa: BLE001 - Ray raises a bare Exception on a timeout
            _stop_children()
            if attempt == attempts:
                raise
            print(f"ray: a node did not start ({error}); trying again", file=sys.stderr)
