"""SDK local run: argparse arguments, a connected dict, a configuration, scalars, an artifact and console output.

Run again by an agent (clone, override, enqueue), it prints what the SDK read back from the server.
"""

import argparse
from importlib import metadata

from clearml import Task

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()

task = Task.init(
    project_name="Compat",
    task_name="sdk local run",
    auto_connect_frameworks=False,
    auto_resource_monitoring=False,
)
general = task.connect({"batch": 32, "optimizer": "sgd"})
config = task.connect_configuration({"model": {"layers": 2}}, name="model_cfg")
logger = task.get_logger()
for i in range(args.epochs):
    logger.report_scalar("loss", "train", 1.0 / (i + 1), iteration=i)
logger.report_histogram("histogram", "counts", values=[1, 4, 2], iteration=0)
task.upload_artifact("stats", artifact_object={"rows": 10, "lr": args.lr}, wait_on_upload=True)
try:
    tiny = metadata.version("tinypkg")
except metadata.PackageNotFoundError:
    tiny = "missing"

print("ARGS lr=%s epochs=%s" % (args.lr, args.epochs))
print("GENERAL batch=%s optimizer=%s" % (general["batch"], general["optimizer"]))
print("CONFIG layers=%s" % config["model"]["layers"])
print("TINYPKG %s" % tiny)
print("TASK %s" % task.id)
