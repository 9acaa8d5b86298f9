"""A single-script task for Task.create and clearml-task (no Task.init here: the SDK adds the call)."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--greeting", default="hello")
args = parser.parse_args()
print("HELLO greeting=%s" % args.greeting)
