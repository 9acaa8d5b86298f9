"""Clone a task with the SDK, override Args/lr and General/batch, add a requirement, and enqueue the clone."""

import sys

from clearml import Task

source_id, queue, extra_requirement = sys.argv[1:4]
clone = Task.clone(source_task=Task.get_task(task_id=source_id), name="sdk clone with overrides")
clone.set_parameters({"Args/lr": 0.7, "General/batch": 64})
pip = (clone.data.script.requirements or {}).get("pip") or ""
clone.set_packages(pip.splitlines() + [extra_requirement])
Task.enqueue(clone, queue_name=queue)
print("CLONE %s" % clone.id)
