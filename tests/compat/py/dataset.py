"""Datasets through the SDK: create, add a folder, upload to our files server, finalize; then get a local copy."""

import os
import sys

from clearml import Dataset

folder = sys.argv[1]
ds = Dataset.create(dataset_name="compat data", dataset_project="Compat datasets")
ds.add_files(path=folder)
ds.upload()
ds.finalize()
print("DATASET %s" % ds.id, flush=True)

got = Dataset.get(dataset_name="compat data", dataset_project="Compat datasets")
copy = got.get_local_copy()
for name in sorted(got.list_files()):
    with open(os.path.join(copy, name)) as f:
        print("FILE %s %s" % (name, f.read().strip()), flush=True)
