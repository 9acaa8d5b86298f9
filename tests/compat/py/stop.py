"""Stop a running task through the SDK: Task.get_task(id).mark_stopped(); prints the time just before the call."""

import sys
import time

from clearml import Task

task = Task.get_task(task_id=sys.argv[1])
print("STOPPING at %.3f" % time.time(), flush=True)
task.mark_stopped()
print("STOPPED %s" % sys.argv[1])
