"""Task runners for the sharded outbound sync: where the ``sync-shard`` tasks run.

Sealing costs CPU (a key wrap and a signature per envelope), so a large export is split into shards;
threads (Prefect's default) share one interpreter, a Dask cluster spreads the shards over processes or
machines. ``outbound_sync.with_options(task_runner=dask_task_runner(...))`` is the whole recipe
(``pxhub flow run outbound-sync --shards N --task-runner dask``).
"""

from __future__ import annotations

from prefect.task_runners import TaskRunner


def dask_task_runner(workers: int = 2, address: str | None = None) -> TaskRunner:
    """A DaskTaskRunner: a temporary local cluster of ``workers``, or the cluster at ``address``.

    One thread per worker: sealing holds the GIL, so parallelism comes from processes. Every worker
    needs the export, the federation folder, the member's state folder and the passphrase (environment)
    at the same paths as the flow.
    """
    from prefect_dask.task_runners import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    if workers < 1:
        raise ValueError("a Dask cluster needs at least one worker")
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,  # no web server (and no port taken) for a temporary cluster
        }
    )
