"""A decorator pipeline run remotely: the controller goes to `services`, its two components to `default`."""

from clearml import PipelineDecorator


@PipelineDecorator.component(return_values=["total"], cache=False)
def add(a, b):
    print("STEP add a=%s b=%s" % (a, b))
    return a + b


@PipelineDecorator.component(return_values=["product"], cache=False)
def times(total, k):
    print("STEP times total=%s k=%s" % (total, k))
    return total * k


@PipelineDecorator.pipeline(
    name="decorator pipeline",
    project="Compat",
    version="1.0.0",
    pipeline_execution_queue="services",
    add_pipeline_tags=False,
)
def pipeline(a=2, b=3, k=7):
    product = times(add(a, b), k)
    print("PIPELINE RESULT %s" % product)


if __name__ == "__main__":
    PipelineDecorator.set_default_execution_queue("default")
    pipeline(a=2, b=3, k=7)
    print("PIPELINE ENQUEUED")
