"""examples/: every recipe parses, has the shape its system wants, and every envbuild command in it
is one envbuild's command line accepts (the subcommand and each option exist, values convert)."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "examples"
_NAMES = ("envbuild", "/usr/local/bin/envbuild")
_COMMAND_POSITION = ("|", "||", "&&", ";", "(", "exec", "then", "do", "time")


def envbuild_commands(text: str) -> list[list[str]]:
    """Each `envbuild …` command of a shell text (a word in command position, not inside quotes): its
    words up to the first shell operator, with CI expressions (${{ … }}) standing in as plain words and
    "$@"-style expansions left out."""
    text = re.sub(r"\$\{\{[^}]*\}\}", "VALUE", text.replace("\\\n", " "))
    found = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        words = list(lexer)
        for i, word in enumerate(words):
            if word not in _NAMES or (i and words[i - 1] not in _COMMAND_POSITION):
                continue
            command = []
            rest = words[i + 1:]
            for j, arg in enumerate(rest):
                redirect = arg.isdigit() and j + 1 < len(rest) and rest[j + 1].startswith(">")  # 2>&1
                if set(arg) <= set("|&;<>()") or redirect:
                    break
                if arg not in ("$@", "${args[@]}"):
                    command.append(arg)
            found.append(command)
    return found


def check_command(words: list[str]) -> None:
    import typer.main

    from envbuild.cli import app

    group = typer.main.get_command(app)
    name, *args = words
    assert name in group.commands, f"envbuild {name}: no such command"
    group.commands[name].make_context(name, list(args))  # raises on an unknown option or a bad value


def run_texts(value) -> list[str]:
    """Every string under a 'run', 'script', 'args' or 'command' key of a YAML document."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("run", "script", "args", "command", "before_script") and item is not None:
                out.extend(i for i in (item if isinstance(item, list) else [item]) if isinstance(i, str))
            else:
                out.extend(run_texts(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(run_texts(item))
    return out


def test_the_github_workflow_checks_locks_builds_pushes_and_verifies_with_a_report():
    workflow = yaml.safe_load((EXAMPLES / "github-actions" / "envbuild.yml").read_text())
    jobs = workflow["jobs"]
    assert set(jobs) == {"lock-check", "build", "verify"} and jobs["verify"]["needs"] == "build"
    texts = run_texts(workflow)
    assert any("envbuild lock --check" in t for t in texts)
    assert any('>> "$GITHUB_OUTPUT"' in t for t in texts) and jobs["build"]["outputs"]["image"]
    assert any("--junit verify.xml" in t and "$GITHUB_STEP_SUMMARY" in t for t in texts)
    cache = next(s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert "hashFiles('**/locks/*.txt'" in cache["with"]["key"]
    commands = [c for t in texts for c in envbuild_commands(t)]
    assert [c[0] for c in commands] == ["lock", "build", "verify"]
    for command in commands:
        check_command(command)


def test_the_reproduce_workflow_runs_smoke_on_pull_requests_full_on_a_schedule_then_gates_the_release():
    workflow = yaml.safe_load((EXAMPLES / "github-actions" / "reproduce.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and len(triggers["schedule"][0]["cron"].split()) == 5
    jobs = workflow["jobs"]
    assert jobs["smoke"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["full"]["if"] == "github.event_name != 'pull_request'" and jobs["release-gate"]["needs"] == "full"
    by_job = {name: [c for t in run_texts(job) for c in envbuild_commands(t)] for name, job in jobs.items()}
    smoke, full, gate = by_job["smoke"], by_job["full"], by_job["release-gate"]
    assert smoke[0][:3] == ["reproduce", "$MODEL", "--mode"] and smoke[0][3] == "smoke"
    assert full[0][3] == "full" and "--junit" in full[0] and "--format" in smoke[0]
    assert gate[0][0] == "verify" and gate[0][gate[0].index("--require-reproduced") + 1] == "7"
    for command in smoke + full + gate:
        check_command(command)
    assert workflow["env"]["MLFLOW_TRACKING_TOKEN"].startswith("${{ secrets.")  # never written into the file


def test_the_gitlab_pipeline_reports_junit():
    pipeline = yaml.safe_load((EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml").read_text())
    assert pipeline["verify"]["artifacts"]["reports"]["junit"] == "verify.xml"
    assert pipeline["stages"] == ["check", "build", "verify"]
    commands = [c for t in run_texts(pipeline) for c in envbuild_commands(t)]
    assert {c[0] for c in commands} == {"lock", "build", "verify"}
    for command in commands:
        check_command(command)


def test_the_kubernetes_cronjob_may_exec_into_pods_and_runs_verify_exec():
    documents = {d["kind"]: d for d in yaml.safe_load_all((EXAMPLES / "drift" / "k8s-cronjob.yaml").read_text())}
    assert set(documents) == {"ServiceAccount", "Role", "RoleBinding", "CronJob"}
    rules = {(tuple(r["resources"]), tuple(r["verbs"])) for r in documents["Role"]["rules"]}
    assert (("pods/exec",), ("create",)) in rules
    cron = documents["CronJob"]["spec"]
    assert len(cron["schedule"].split()) == 5
    pod = cron["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == documents["ServiceAccount"]["metadata"]["name"]
    (command,) = [c for t in run_texts(pod) for c in envbuild_commands(t)]
    assert command[0] == "verify" and "--exec" in " ".join(run_texts(pod))
    check_command(command)


def test_the_systemd_units_and_the_crontab_run_a_valid_verify():
    service = configparser.ConfigParser(interpolation=None, strict=False)
    service.read_string((EXAMPLES / "drift" / "envbuild-drift.service").read_text())
    timer = configparser.ConfigParser(interpolation=None)
    timer.read_string((EXAMPLES / "drift" / "envbuild-drift.timer").read_text())
    assert service["Service"]["Type"] == "oneshot" and timer["Timer"]["OnCalendar"] == "hourly"
    assert timer["Install"]["WantedBy"] == "timers.target"
    lines = [line for line in (EXAMPLES / "drift" / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert len(lines) == 1 and len(lines[0].split()[:5]) == 5
    for text in (service["Service"]["ExecStart"], lines[0].split(None, 5)[5]):  # the crontab's command
        (command,) = envbuild_commands(text)
        assert command[0] == "verify" and "--hosts" in command
        check_command(command)


@pytest.mark.parametrize("path", sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yml", ".yaml")),
                         ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_yaml_example_parses(path):
    assert list(yaml.safe_load_all(path.read_text()))


def test_the_pre_commit_hook_runs_the_offline_check_on_the_inputs_of_a_lock():
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "envbuild-lock-check" and hook["language"] == "python" and hook["pass_filenames"] is False
    check_command(shlex.split(hook["entry"])[1:])
    pattern = re.compile(hook["files"])
    for changed in ("envbuild.yaml", "images/train/envbuild.yaml", "requirements.in", "images/x/requirements-gpu.in",
                    "pyproject.toml", "environment.yml", "images/conda/locks/cpu.conda-lock.yml", "locks/cpu.txt"):
        assert pattern.search(changed), changed
    for other in ("README.md", "src/model.py", "Dockerfile"):
        assert not pattern.search(other), other
