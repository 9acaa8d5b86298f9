"""A pipeline of existing tasks: two `add_step`s cloned from one base task with overrides, steps on `default`."""

import sys

from clearml import PipelineController, Task

script = sys.argv[1]
base = Task.create(
    project_name="Compat",
    task_name="pipeline base step",
    script=script,
    argparse_args=[("greeting", "base")],
    packages=["clearml==2.1.12"],
    add_task_init_call=True,
)
print("BASE %s" % base.id)
pipe = PipelineController(name="tasks pipeline", project="Compat", version="1.0.0", add_pipeline_tags=False)
pipe.set_default_execution_queue("default")
pipe.add_step(name="first", base_task_id=base.id, parameter_override={"Args/greeting": "first"}, cache_executed_step=False)
pipe.add_step(
    name="second",
    parents=["first"],
    base_task_id=base.id,
    parameter_override={"Args/greeting": "${first.parameters.Args/greeting}-second"},
    cache_executed_step=False,
)
pipe.start_locally(run_pipeline_steps_locally=False)
for name, node in pipe.get_pipeline_dag().items():
    print("STEP %s %s" % (name, node.executed))
print("CONTROLLER %s" % pipe.id)
