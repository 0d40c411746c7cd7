"""Published trials as data: the trial-spec model the validation runner reads."""

from hpgsim.trials.spec import (
    KINDS,
    OBSERVABLE_UNITS,
    Arm,
    Endpoint,
    Population,
    Quantity,
    RunIn,
    ScheduledEndpoint,
    TrialSpec,
    convert,
    load_fitting,
    load_spec,
    load_specs,
    parse_spec,
)

__all__ = [
    "KINDS",
    "OBSERVABLE_UNITS",
    "Arm",
    "Endpoint",
    "Population",
    "Quantity",
    "RunIn",
    "ScheduledEndpoint",
    "TrialSpec",
    "convert",
    "load_fitting",
    "load_spec",
    "load_specs",
    "parse_spec",
]
