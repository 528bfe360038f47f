"""Where a sweep's runs go when a cluster is configured: a Dask scheduler or a Ray cluster.

One environment variable names one cluster: `GRASSROOTS_DASK_SCHEDULER` (e.g. tcp://host:8786) or
`GRASSROOTS_RAY_ADDRESS` (e.g. ray://host:10001, or `auto` on a node of the cluster). Setting both is an
error rather than a silent choice. Neither library is needed otherwise: both come with the optional
`cluster` extra. A run is a pure function of its task (see `runner`), so the results do not depend on
where it ran; the cluster only yields each (task index, result) as it finishes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

DASK_VARIABLE = "GRASSROOTS_DASK_SCHEDULER"
RAY_VARIABLE = "GRASSROOTS_RAY_ADDRESS"
EXTRA = "install the optional extra: pip install 'grassroots[cluster]', or unset the variable"


class ClusterError(RuntimeError):
    """A cluster is configured but cannot be used."""


Done = Iterator[tuple[int, Any]]


def configured() -> tuple[str, str] | None:
    """(kind, address) of the configured cluster, or None when runs stay on this machine."""
    dask = os.environ.get(DASK_VARIABLE, "").strip()
    ray = os.environ.get(RAY_VARIABLE, "").strip()
    if dask and ray:
        raise ClusterError(f"both {DASK_VARIABLE} and {RAY_VARIABLE} are set: name one cluster")
    if dask:
        return "dask", dask
    if ray:
        return "ray", ray
    return None


def on_cluster(function: Callable[[Any], Any], tasks: Sequence[Any]) -> Done | None:
    """The configured cluster's results of `function` over `tasks`, as they finish; None without a cluster."""
    where = configured()
    if where is None:
        return None
    kind, address = where
    return _on_dask(function, tasks, address) if kind == "dask" else _on_ray(function, tasks, address)


def _on_dask(function: Callable[[Any], Any], tasks: Sequence[Any], address: str) -> Done:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ClusterError(
            f"{DASK_VARIABLE} is set ({address}) but dask.distributed is not installed; {EXTRA}"
        ) from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({DASK_VARIABLE}): {exc}") from None
    return _dask_results(client, as_completed, function, tasks)


def _dask_results(client: Any, as_completed: Any, function: Callable[[Any], Any], tasks: Sequence[Any]) -> Done:
    try:
        futures = client.map(function, list(tasks), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            yield index[future.key], future.result()
    finally:
        client.close()


def _on_ray(function: Callable[[Any], Any], tasks: Sequence[Any], address: str) -> Done:
    try:
        import ray
    except ImportError:
        raise ClusterError(f"{RAY_VARIABLE} is set ({address}) but ray is not installed; {EXTRA}") from None
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    except (ConnectionError, OSError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address} ({RAY_VARIABLE}): {exc}") from None
    return _ray_results(ray, function, tasks)


def _ray_results(ray: Any, function: Callable[[Any], Any], tasks: Sequence[Any]) -> Done:
    try:
        remote = ray.remote(function)
        refs = [remote.remote(task) for task in tasks]
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                yield index[ref], ray.get(ref)
    finally:
        ray.shutdown()
