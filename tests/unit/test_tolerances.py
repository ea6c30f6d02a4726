"""core/spec/tolerances.py: a re-run's metrics against the baseline, each with its tolerance (issue 34, item 4)."""

from __future__ import annotations

import pytest

from envbuild.core.spec.tolerances import (DEFAULT_FLOAT_REL, VERDICTS, Tolerance, ToleranceError, calibrate, compare,
                                      lint, tolerance_from, verdict)


def status(baseline, value, tolerance=None):
    [outcome] = compare({"m": baseline}, {} if value is None else {"m": value}, {"m": tolerance} if tolerance else {})
    return outcome.status


def test_two_sided_abs_and_rel_take_the_larger_allowance():
    tolerance = Tolerance(abs=0.01, rel=0.05)
    assert status(1.0, 1.04, tolerance) == "within" and status(1.0, 1.06, tolerance) == "failed"
    assert status(0.1, 0.109, tolerance) == "within"  # abs 0.01 beats rel 0.005 here
    assert status(2.0, 2.0, tolerance) == "exact"


def test_a_negative_baseline_is_relative_to_its_magnitude():
    tolerance = Tolerance(rel=0.05)  # a log-likelihood of -200: ±10
    assert status(-200.0, -209.0, tolerance) == "within" and status(-200.0, -211.0, tolerance) == "failed"
    assert status(-200.0, -191.0, tolerance) == "within"


@pytest.mark.parametrize("better, value, expected", [
    ("higher", 0.70, "failed"), ("higher", 0.795, "within"), ("higher", 0.95, "within"),
    ("lower", 0.95, "failed"), ("lower", 0.805, "within"), ("lower", 0.10, "within"),
])
def test_no_worse_allows_any_improvement_and_a_small_loss(better, value, expected):
    assert status(0.80, value, Tolerance(direction="no-worse", better=better, abs=0.01)) == expected


@pytest.mark.parametrize("better, value, expected", [("higher", 0.95, "failed"), ("higher", 0.70, "within"),
                                                     ("lower", 0.70, "failed"), ("lower", 0.95, "within")])
def test_no_better_flags_a_suspicious_improvement(better, value, expected):
    assert status(0.80, value, Tolerance(direction="no-better", better=better, abs=0.01)) == expected


def test_a_missing_metric_fails_unless_declared_optional_and_never_passes_as_a_value():
    assert status(0.5, None, Tolerance(rel=0.1)) == "missing"
    assert status(0.5, None, Tolerance(rel=0.1, required=False)) == "within"
    assert status(0.5, float("nan"), Tolerance(rel=0.1)) == "failed"


def test_undeclared_metrics_get_documented_defaults_and_say_so():
    [integer] = compare({"n": 120}, {"n": 121}, {})
    assert (integer.status, integer.default, integer.rule) == ("failed", True, "exact, two-sided (default)")
    [close] = compare({"loss": 0.25}, {"loss": 0.25 * (1 + DEFAULT_FLOAT_REL / 2)}, {})
    assert close.status == "within" and close.rule.endswith("(default)")
    [far] = compare({"loss": 0.25}, {"loss": 0.2501}, {})
    assert far.status == "failed"


def test_a_tolerance_below_the_resolution_is_refused_as_an_exact_comparison_in_disguise():
    problems = lint({"accuracy": Tolerance(abs=0.0001, resolution=0.001)}, {"accuracy": 0.9})
    assert len(problems) == 1 and "below the metric's resolution 0.001" in problems[0]
    assert lint({"accuracy": Tolerance(abs=0.0, resolution=0.001)}, {"accuracy": 0.9}) == []  # declared exact
    assert lint({"accuracy": Tolerance(abs=0.002, resolution=0.001)}, {"accuracy": 0.9}) == []


@pytest.mark.parametrize("statuses, kwargs, expected", [
    (["exact", "exact"], {}, "bit-exact"),
    (["exact", "within"], {}, "within-tolerance"),
    (["exact", "exact"], {"same_hardware": None}, "within-tolerance"),  # nothing recorded to compare
    (["exact", "exact"], {"same_environment": False}, "within-tolerance"),
    (["within", "failed"], {}, "failed"),
    (["missing", "within"], {}, "missing-metric"),
    (["failed"], {"preflight_ok": False}, "unverifiable"),
    (["exact"], {"same_hardware": False, "require_same_hardware": True}, "inconclusive"),
    (["exact"], {"same_hardware": False}, "within-tolerance"),
])
def test_the_verdict_and_its_exit_code(statuses, kwargs, expected):
    from envbuild.core.spec.tolerances import MetricOutcome

    outcomes = [MetricOutcome(metric=f"m{i}", baseline=1.0, value=1.0, status=s, allowed=0.0, rule="")
                for i, s in enumerate(statuses)]
    found = verdict(outcomes, **kwargs)
    assert found == expected
    assert VERDICTS[found] == {"bit-exact": 0, "within-tolerance": 0, "failed": 1, "missing-metric": 1,
                               "unverifiable": 1, "inconclusive": 5}[expected]


def test_tolerances_are_read_with_key_paths_for_every_mistake():
    assert tolerance_from("m", {"rel": 0.05, "direction": "no-worse", "better": "lower"}) == Tolerance(
        rel=0.05, direction="no-worse", better="lower")
    for data, path in (({"rel": -1}, "m.rel"), ({"rel": "5%"}, "m.rel"), ({"direction": "up"}, "m.direction"),
                       ({"direction": "no-worse"}, "m.better"), ({"tol": 1}, "m.tol"), ({"required": "yes"}, "m.required"),
                       ("0.05", "m")):
        with pytest.raises(ToleranceError) as raised:
            tolerance_from("m", data)
        assert raised.value.path == path


def test_calibration_proposes_k_sigma_with_a_floor_and_refuses_too_few_runs():
    found = calibrate("accuracy", [0.80, 0.81, 0.79, 0.80, 0.80], k=3.0, floor=0.001)
    assert found.runs == 5 and found.mean == pytest.approx(0.80)
    assert found.proposed.abs == pytest.approx(3 * found.std) and found.std == pytest.approx(0.00707, rel=1e-2)
    assert calibrate("m", [1.0] * 5, floor=0.001).proposed.abs == 0.001  # no spread: the floor
    with pytest.raises(ToleranceError, match="too few"):
        calibrate("m", [1.0, 1.1, 0.9, 1.0])


SPEC = """\
name: t/m
python: "3.11"
requirements: [r.in]
reproduce:
  metrics:
    accuracy: {abs: 0.01, direction: no-worse, better: higher, resolution: 0.002}
    loss: {rel: 0.05}
  same-hardware: true
  modes:
    smoke: {args: ["--epochs", 1]}
targets:
  cpu: {}
  gpu:
    reproduce:
      metrics:
        loss: {rel: 0.1}
      metrics-file: /home/app/metrics.json
      modes:
        tiny: {args: ["--steps", "5"], replace: true}
"""


def test_the_spec_s_reproduce_key_and_a_target_s_over_it():
    from envbuild.core.spec.reproduce import Mode
    from envbuild.core.spec.model import parse_spec

    spec = parse_spec(SPEC)
    cpu, gpu = (spec.reproduce_for(spec.target(t)) for t in ("cpu", "gpu"))
    assert cpu.tolerances()["loss"] == Tolerance(rel=0.05) and gpu.tolerances()["loss"] == Tolerance(rel=0.1)
    assert gpu.tolerances()["accuracy"].direction == "no-worse" and gpu.same_hardware is True
    assert (cpu.metrics_file, gpu.metrics_file) == (None, "/home/app/metrics.json")
    assert cpu.mode("smoke") == Mode(args=("--epochs", "1")) and cpu.mode("full") is None
    assert gpu.mode("tiny") == Mode(args=("--steps", "5"), replace=True) and gpu.mode("smoke").args == ("--epochs", "1")


@pytest.mark.parametrize("change, path", [
    (("rel: 0.05}", "rel: -0.05}"), "reproduce.metrics.loss.rel"),
    (("direction: no-worse, better: higher", "direction: no-worse"), "reproduce.metrics.accuracy.better"),
    (("same-hardware: true", "same-hardware: yes please"), "reproduce.same-hardware"),
    (("smoke: {args:", "full: {args:"), "reproduce.modes"),
    (('smoke: {args: ["--epochs", 1]}', "smoke: {args: --epochs 1}"), "reproduce.modes.smoke.args"),
    (("metrics-file: /home/app/metrics.json", "metrics-file: metrics.json"), "targets.gpu.reproduce.metrics-file"),
    (("abs: 0.01, direction", "abs: 0.001, direction"), "reproduce.metrics.accuracy.abs"),  # below resolution 0.002
])
def test_a_reproduce_mistake_names_its_key_path(change, path):
    from envbuild.core.spec.model import parse_spec
    from envbuild.errors import SpecError

    with pytest.raises(SpecError) as raised:
        parse_spec(SPEC.replace(*change))
    assert raised.value.path == path
