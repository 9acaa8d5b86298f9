"""A task that hands itself to an agent, then runs there until it is stopped; prints a tick every half second."""

import time

from clearml import Task

task = Task.init(
    project_name="Compat",
    task_name="long run",
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
print("TASK %s" % task.id, flush=True)
task.execute_remotely(queue_name="default", exit_process=True)
for i in range(600):
    print("tick %d" % i, flush=True)
    time.sleep(0.5)
print("LONG finished without being stopped")
