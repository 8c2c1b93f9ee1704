"""A Ray cluster of several raylets on this machine, on 127.0.0.1 only (tests, trying --address).

    .venv/bin/python scripts/ray_loopback_cluster.py [CPUS_PER_NODE ...]   (default: 1 1)

Prints one JSON line {"address": ..., "nodes": [{"id", "ip"}]} on stdout, then keeps the cluster
up until stdin closes or SIGTERM/SIGINT arrives, and shuts every Ray process it started down.
"""

import json
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "sweep"))
from loopback_ray import start_cluster  # noqa: E402


def main(argv):
    cpus = [int(a) for a in argv] or [1, 1]
    cluster = start_cluster(cpus)
    import ray

    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
    nodes = [{"id": n["NodeID"], "ip": n["NodeManagerAddress"]} for n in ray.nodes() if n["Alive"]]
    ray.shutdown()
    print(json.dumps({"address": cluster.address, "nodes": nodes}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    cluster.shutdown()
    print(json.dumps({"stopped": True}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
