#!/usr/bin/env bash
# Spark GPU discovery: the indexes of the GPUs nvidia-smi sees, as Spark's ResourceInformation JSON.
set -euo pipefail
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed 's/.*/"&"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
