"""Airflow tasks of the DAG's dbt task group in Cosmos's watcher execution mode.

The watcher mode runs the whole dbt project as a single ``dbt build`` in one producer task,
which stores each node's result in XCom. ``DbtBuildWatcherSensor`` turns those results into
one task per model (or seed): it succeeds when dbt built the node and passed all its tests,
and fails when the node or one of its tests failed, as the local execution mode's ``dbt build`` task per model
does. Cosmos's own ``TestBehavior.AFTER_EACH`` rendering shows a model and its tests as two
tasks, and ``dag.test()`` spends about 0.12 s on every task after the build (measured on
the 2-core development machine).

``wire_watcher_tasks`` makes the producer upstream of the first sensors, so no sensor waits:
``dag.test()`` runs task instances one at a time, and a sensor that started before the
producer and waited for it would block the run. Under a scheduler the sensors then report
the results once the build has finished, not while it runs, and need no triggerer.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.exceptions import AirflowException
from airflow.task.trigger_rule import TriggerRule
from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
from cosmos.operators._watcher.state import (
    DbtTestStatus,
    get_dbt_event_xcom_key,
    get_status_xcom_key,
    get_xcom_val,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
    is_producer_task_terminated,
)
from cosmos.operators.watcher import DbtConsumerWatcherSensor

log = logging.getLogger(__name__)

PRODUCER_TASK_SUFFIX = "dbt_producer_watcher"


class DbtBuildWatcherSensor(DbtConsumerWatcherSensor):
    """Report one dbt node and its tests from the producer's ``dbt build``.

    ``has_tests`` is True when any test depends on the node; the producer reports the
    tests' combined result only for such nodes. ``test_ids`` (set by ``wire_watcher_tasks``)
    lists those tests, to name the ones that failed. A test that dbt skipped because another
    model it reads failed does not fail this task: that model's task fails, and so does the
    producer. A retry or a cleared task runs ``dbt build --select <node>`` itself (Cosmos's
    fallback), which covers the tests too.
    """

    base_cmd = ["build"]

    def __init__(self, *, has_tests: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.has_tests = has_tests
        self.test_ids: list[str] = []
        self._built_here = False

    def _fallback_to_non_watcher_run(self, try_number: int, context) -> bool:
        self._built_here = True
        return super()._fallback_to_non_watcher_run(try_number, context)

    def poke(self, context) -> bool:
        self._built_here = False
        if not super().poke(context):
            self._require_result(context, get_status_xcom_key(self.model_unique_id), "a result")
            return False
        if self._built_here or not self.has_tests:
            return True
        return self._tests_passed(context)

    def _tests_passed(self, context) -> bool:
        key = get_tests_status_xcom_key(self.model_unique_id)
        status = get_xcom_val(context["ti"], self.producer_task_id, key)
        if status is None:
            self._require_result(context, key, "the results of its tests")
            return False
        if status == DbtTestStatus.PASS:
            log.info("dbt node %s and all its tests passed", self.model_unique_id)
            return True
        failed = self._failed_tests(context)
        if failed:
            raise AirflowException(
                f"dbt tests of '{self.model_unique_id}' failed: {', '.join(failed)}; the log of task "
                f"'{self.producer_task_id}' shows each test's result and the failing rows' count"
            )
        log.warning(
            "dbt built %s and none of its tests failed, but not all of them ran: dbt skips a test "
            "when another model it reads failed, and that model's task fails",
            self.model_unique_id,
        )
        return True

    def _failed_tests(self, context) -> list[str]:
        """Return the names of this node's tests that failed or raised an error.

        The producer stores a dbt event for a test only when dbt logs one at the info level:
        a failure or an error. A test that passed or that dbt skipped has none.
        """
        failed = []
        for test_id in self.test_ids:
            event = get_xcom_val(context["ti"], self.producer_task_id, get_dbt_event_xcom_key(test_id))
            status = event.get("status") if isinstance(event, dict) else None
            if event and not (is_dbt_node_status_success(status) or is_dbt_node_status_skipped(status)):
                failed.append(test_id.split(".")[2])
        return failed

    def _require_result(self, context, key: str, result_name: str) -> None:
        """Raise when the producer has finished without storing XCom ``key``, so no poke can succeed."""
        if get_xcom_val(context["ti"], self.producer_task_id, key) is not None:
            return
        state = self._get_producer_task_status(context)
        # A failed or skipped producer is Cosmos's case: its poke falls back to a dbt run of its own.
        if state == "success":
            raise AirflowException(
                f"task '{self.producer_task_id}' finished its dbt build without reporting {result_name} for "
                f"'{self.model_unique_id}'; check that the node is selected and not ephemeral"
            )
        if not is_producer_task_terminated(state):
            log.info("waiting for task %s (state %s) to report %s", self.producer_task_id, state, key)


def build_watcher_task(*, dag, task_group, node, task_id: str, task_args: dict[str, Any], **_: Any):
    """Create the ``DbtBuildWatcherSensor`` of one model, seed or snapshot (a Cosmos node converter)."""
    return DbtBuildWatcherSensor(
        task_id=task_id,
        dag=dag,
        task_group=task_group,
        extra_context={"dbt_node_config": node.context_dict, "package_name": node.package_name},
        has_tests=node.has_test,
        **task_args,
    )


def wire_watcher_tasks(task_group) -> None:
    """Give each sensor of ``task_group`` its test ids and make the producer upstream of the first sensors.

    Call it after setting the group's upstream tasks: the sensors without an upstream sensor
    keep those as upstream tasks beside the producer. Their trigger rule runs them once all
    upstream tasks are done and at least one succeeded. After a failed producer each sensor
    therefore still reports its node's result. After a failed upstream task the producer
    never ran, no upstream task succeeded, and no sensor runs.
    """
    tasks = list(task_group.iter_tasks())
    producer = next(task for task in tasks if task.task_id.endswith(f".{PRODUCER_TASK_SUFFIX}"))
    if not producer.upstream_task_ids:
        raise ValueError(
            f"{task_group.group_id} has no upstream task yet; call wire_watcher_tasks after setting them"
        )
    tests_per_model = task_group.dbt_graph.tests_per_model
    in_group = {task.task_id for task in tasks}
    for task in tasks:
        if not isinstance(task, DbtBuildWatcherSensor):
            continue
        task.test_ids = sorted(tests_per_model.get(task.model_unique_id, []))
        if not task.upstream_task_ids & in_group:
            producer >> task
            task.trigger_rule = TriggerRule.ALL_DONE_MIN_ONE_SUCCESS
