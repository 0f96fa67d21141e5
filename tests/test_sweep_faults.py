"""Sweeps on a Dask cluster of worker processes: a lost worker, and Ctrl-C.

Each sweep job is pure (a comparison is a function of its data set and
settings only, and the engine's results do not depend on the thread count
or the process), so Dask may rerun a job whose worker died and the sweep
still returns what a serial run does, bit for bit.

Dask starts its workers with BLAS limited to one thread, and the teachers'
NumPy products round differently with more (1e-9 relative, enough to
change the students' last bits): the serial run here uses one BLAS thread
too, as a single-threaded job does.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

import kdfast
from kdfast import datasets as ds

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")]

# Jobs of a second or two each, so that a worker dies in the middle of one.
SETTINGS = dict(teacher="kernel", widths=[1, 8, 64], seeds=2, steps=5000, n_threads=1, progress=False)
POLL = 0.05  # seconds between looks at the cluster
WAIT = 120  # seconds before giving up on the cluster doing something


def process_cluster(n_workers):
    # ":0", a free port: None still serves the scheduler's HTTP routes on 8787,
    # and a warning that the port is taken (by any other cluster on the
    # machine) fails a test under strict warnings.
    return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")


def _executing(dask_worker):
    return len(dask_worker.state.executing)


def wait_for(condition, what):
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL)


def busy_worker(client):
    """(address, pid) of a worker that is running a job, once there is one."""
    found = {}

    def running():
        found.update({a: n for a, n in client.run(_executing).items() if n > 0})
        return bool(found)

    wait_for(running, "a job to start")
    address = next(iter(found))
    return address, client.run(os.getpid, workers=[address])[address]


def test_a_sweep_survives_a_lost_worker():
    data = {f"d={d}": ds.xor2(n=300, d=d, n_test=50, seed=d) for d in (4, 5, 6, 7)}
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        serial = kdfast.sweep(data, **SETTINGS)
    with process_cluster(2) as cluster, distributed.Client(cluster) as client:
        killed = {}

        def kill_a_busy_worker():
            address, pid = busy_worker(client)
            os.kill(pid, signal.SIGKILL)  # its nanny starts a new worker process
            killed.update(address=address, pid=pid)

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        try:
            parallel = kdfast.sweep(data, executor=client.get_executor(), **SETTINGS)
        finally:
            killer.join()
        assert killed, "no worker was killed"
        assert killed["pid"] not in client.run(os.getpid).values()
    assert list(parallel.comparisons) == list(serial.comparisons)
    pd.testing.assert_frame_equal(parallel.table, serial.table, check_exact=True)
    pd.testing.assert_frame_equal(parallel.curves, serial.curves, check_exact=True)


def _n_tasks(dask_scheduler):
    return len(dask_scheduler.tasks)


def test_ctrl_c_cancels_a_dask_sweep_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    with process_cluster(1) as cluster, distributed.Client(cluster) as client:
        argv = [
            sys.executable,
            "-m",
            "kdfast",
            "sweep",
            "--data",
            "xor2:n=300,n_test=50",
            "--vary",
            "d=4,5,6,7",
            "--widths",
            "1,8,64",
            "--seeds",
            "2",
            "--steps",
            "1000000",
            "--dask",
            cluster.scheduler_address,
            "--out",
            str(out),
        ]
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            busy_worker(client)  # the sweep's first job is running, three wait
            assert client.run_on_scheduler(_n_tasks) == 4
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=WAIT)
        finally:
            child.kill()
        assert child.returncode == 130 and err.strip().splitlines()[-1] == "kdfast: interrupted", err
        # The sweep's jobs are gone from the cluster, the running one included.
        wait_for(lambda: client.run_on_scheduler(_n_tasks) == 0, "the jobs to be cancelled")
        wait_for(lambda: sum(client.run(_executing).values()) == 0, "the running job to stop")
        assert client.submit(sum, [1, 2]).result() == 3  # the worker lives on
    assert not out.exists()
