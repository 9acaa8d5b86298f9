"""Task.create() from a single script (the SDK adds the Task.init call), then Task.enqueue()."""

import sys

from clearml import Task

script, queue = sys.argv[1:3]
task = Task.create(
    project_name="Compat",
    task_name="created by Task.create",
    script=script,
    argparse_args=[("greeting", "created")],
    packages=["clearml==2.1.12"],
    add_task_init_call=True,
)
Task.enqueue(task, queue_name=queue)
print("CREATED %s" % task.id)
