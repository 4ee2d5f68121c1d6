"""Reads the Prometheus text exposition format on standard input with prometheus_client's parser
(the reference implementation) and prints its samples as JSON: [[name, {labels}, value], ...].
A document the parser refuses exits non-zero with its error. Used by tests/suite/edge.rs."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        samples.append([s.name, s.labels, s.value])
json.dump(samples, sys.stdout)
