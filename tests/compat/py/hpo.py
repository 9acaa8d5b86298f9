"""Grid search over `General/x` of the base task on `default`; prints when `wait()` returns and the best x."""

import sys
import time

from clearml import Task
from clearml.automation import DiscreteParameterRange, GridSearch, HyperParameterOptimizer

task = Task.init(
    project_name="Compat",
    task_name="hpo controller",
    task_type=Task.TaskTypes.optimizer,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
optimizer = HyperParameterOptimizer(
    base_task_id=sys.argv[1],
    hyper_parameters=[DiscreteParameterRange("General/x", values=[1, 2, 3, 4])],
    objective_metric_title="score",
    objective_metric_series="value",
    objective_metric_sign="max",
    optimizer_class=GridSearch,
    execution_queue="default",
    max_number_of_concurrent_tasks=4,
    total_max_jobs=4,
    pool_period_min=0.05,
    time_limit_per_job=5,
)
# The reporter thread sleeps a report period (5 min by default) between reports, and stop() joins it once the
# optimization has ended: a short period keeps stop() short. (wait() itself ends at the first optimization poll,
# every pool_period_min, after the last job ends.)
optimizer.set_report_period(0.1)
optimizer.start()
optimizer.wait()
print("WAIT RETURNED %.3f" % time.time(), flush=True)
top = optimizer.get_top_experiments(top_k=1)
print("BEST x=%s" % top[0].get_parameters()["General/x"], flush=True)
optimizer.stop()
print("HPO %s" % task.id, flush=True)
