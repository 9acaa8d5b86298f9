"""The HPO base task: one parameter `General/x`, one scalar `score/value` (best at x=3). Runs in a second."""

from clearml import Task

task = Task.init(
    project_name="Compat",
    task_name="hpo base",
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
params = task.connect({"x": 1})
x = int(params["x"])
task.get_logger().report_scalar("score", "value", value=-((x - 3) ** 2), iteration=0)
print("BASE %s x=%d" % (task.id, x))
