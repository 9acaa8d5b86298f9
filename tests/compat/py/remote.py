"""A local run that hands itself to an agent: everything after execute_remotely() runs only remotely."""

from clearml import Task

task = Task.init(
    project_name="Compat",
    task_name="execute remotely",
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
params = task.connect({"where": "local"})
print("TASK %s" % task.id, flush=True)
task.execute_remotely(queue_name="default", exit_process=True)
print("REMOTE running where=%s" % params["where"])
