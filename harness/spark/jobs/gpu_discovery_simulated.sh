#!/usr/bin/env bash
# Spark GPU discovery for machines without GPUs: reports two made-up addresses so that the scheduling path
# (worker resources -> executor resources -> task resources) can be exercised. Never proof of a GPU.
echo '{"name": "gpu", "addresses": ["sim-0", "sim-1"]}'
