#!/usr/bin/env bash
# The whole validation library (validation/trials/*.yaml and the format's two examples), outside
# the unit tests: prints the score and the wall time. Extra arguments go to `hpgsim validate`, e.g.
#   validation/run_all.sh --json report.json
#   validation/run_all.sh --report docs/validation.md      (regenerates the validation report)
#   validation/run_all.sh --workers 2                      (on a local Dask cluster: same numbers)
# Budget: under 5 minutes on 2 cores (validation/README.md gives the measured time).
set -euo pipefail
cd "$(dirname "$0")/.."
TIMEFORMAT='validation suite: %R s wall time'
time hpgsim validate validation/trials validation/examples "$@"
