"""Stop a running task through the SDK: Task.get_task(id).mark_stopped()."""

import sys

from clearml import Task

Task.get_task(task_id=sys.argv[1]).mark_stopped()
print("STOPPED %s" % sys.argv[1])
