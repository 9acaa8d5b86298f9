"""A task that runs until it is stopped (abort scenarios); prints a tick every half second."""

import time

from clearml import Task

task = Task.init(
    project_name="Compat",
    task_name="long run",
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
print("TASK %s" % task.id, flush=True)
for i in range(600):
    print("tick %d" % i, flush=True)
    time.sleep(0.5)
print("LONG finished without being stopped")
