"""Models through the SDK: OutputModel.update_weights to our files server, Model.query_models, get_local_copy."""

import sys

from clearml import Model, OutputModel, Task

weights = sys.argv[1]
task = Task.init(
    project_name="Compat models",
    task_name="model upload",
    output_uri=True,
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
model = OutputModel(task=task, name="compat model", framework="custom")
model.update_weights(weights_filename=weights, iteration=3)
print("MODEL %s" % model.id, flush=True)
task.close()  # waits for the upload

found = Model.query_models(project_name="Compat models", model_name="compat model")
print("QUERY %s" % [m.id for m in found], flush=True)
print("URL %s" % found[0].url, flush=True)
with open(Model(model_id=found[0].id).get_local_copy()) as f:
    print("WEIGHTS %s" % f.read().strip(), flush=True)
