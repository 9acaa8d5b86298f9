"""Read a finished task back through the SDK: scalars, plots, console output and an artifact from the files server."""

import sys

from clearml import Task

task = Task.get_task(task_id=sys.argv[1])
scalars = task.get_reported_scalars()
print("SCALARS loss/train x=%s y=%s" % (scalars["loss"]["train"]["x"], scalars["loss"]["train"]["y"]))
plots = task.get_reported_plots()
print("PLOTS %s" % sorted({p["metric"] for p in plots}))
console = task.get_reported_console_output(number_of_reports=100)
print("CONSOLE has ARGS: %s" % any("ARGS lr=" in line for line in console))
print("ARTIFACT stats=%s" % task.artifacts["stats"].get())
