"""A pipeline of two function steps: the controller runs here, the steps on `default`; prints the result."""

from clearml import PipelineController, Task


def step_one(a, b):
    print("STEP one a=%s b=%s" % (a, b))
    return a + b


def step_two(total, k):
    print("STEP two total=%s k=%s" % (total, k))
    return total * k


pipe = PipelineController(name="function pipeline", project="Compat", version="1.0.0", add_pipeline_tags=False)
pipe.set_default_execution_queue("default")
pipe.add_function_step(
    name="step_one",
    function=step_one,
    function_kwargs={"a": 2, "b": 3},
    function_return=["total"],
    cache_executed_step=False,
)
pipe.add_function_step(
    name="step_two",
    function=step_two,
    function_kwargs={"total": "${step_one.total}", "k": 7},
    function_return=["product"],
    cache_executed_step=False,
)
pipe.start_locally(run_pipeline_steps_locally=False)
step_two_task = Task.get_task(task_id=pipe.get_pipeline_dag()["step_two"].executed)
print("PIPELINE RESULT %s" % step_two_task.get_parameter("return/product"))  # basic types are returned as parameters
print("CONTROLLER %s" % pipe.id)
