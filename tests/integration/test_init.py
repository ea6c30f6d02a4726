"""envbuild init: a starter spec that envbuild lock accepts as it is; never over an existing one."""

from __future__ import annotations

from tests.conftest import assert_no_traceback, run_cli


def test_init_from_a_requirements_file_then_lock(tmp_path, index):
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "requirements.in").write_text(f"--index-url {index.url}\nalpha\n")
    made = run_cli("init", str(directory), "--from", str(directory / "requirements.in"))
    assert made.returncode == 0 and "python 3.11, targets cpu" in made.stdout, made.stderr
    locked = run_cli("lock", str(directory))
    assert locked.returncode == 0, locked.stderr
    assert "alpha==" in (directory / "locks" / "cpu.txt").read_text()


def test_init_never_overwrites_and_refuses_what_it_cannot_read(tmp_path):
    directory = tmp_path / "model"
    directory.mkdir()
    (directory / "envbuild.yaml").write_text("mine\n")
    (directory / "requirements.in").write_text("alpha\n")
    again = run_cli("init", str(directory), "--from", str(directory / "requirements.in"))
    assert again.returncode == 2 and "init never overwrites a spec" in again.stderr
    assert (directory / "envbuild.yaml").read_text() == "mine\n"
    missing = run_cli("init", str(tmp_path / "other"), "--from", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert_no_traceback(missing)


MLPROJECT = """\
name: tiny-train
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      epochs: {type: int, default: 3}
    command: "python train.py --alpha {alpha} --epochs {epochs}"
  validate:
    command: "python validate.py"
  sweep:
    parameters: {grid: string}
    command: "python sweep.py --grid {grid}"
"""


def test_init_from_an_mlflow_project_takes_its_environment_and_main_command(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "MLproject").write_text(MLPROJECT)
    (project / "python_env.yaml").write_text('python: "3.10.14"\nbuild_dependencies: [pip]\n'
                                             "dependencies: [alpha==1.0, beta]\n")
    done = run_cli("init", str(project), "--from", str(project / "MLproject"))
    assert done.returncode == 0, done.stderr
    from envbuild.core.spec.model import parse_spec

    spec = parse_spec((project / "envbuild.yaml").read_text())
    assert spec.python == "3.10" and spec.name == "local/tiny-train"
    assert spec.runtime.cmd == ("python", "train.py", "--alpha", "0.5", "--epochs", "3")
    assert (project / "requirements.in").read_text().splitlines()[1:] == ["alpha==1.0", "beta"]
    # the other entry points are reproduce modes (their whole command in place of main's), but one with a
    # parameter lacking a default is left to the user, said in the spec
    assert dict(spec.reproduce.modes)["validate"].args == ("python", "validate.py")
    assert dict(spec.reproduce.modes)["validate"].replace is True and "sweep" not in dict(spec.reproduce.modes)
    assert "entry points sweep need parameters with no default" in (project / "envbuild.yaml").read_text()
    # a parameter with no default leaves the command to the user, said in the spec
    (project / "envbuild.yaml").unlink()
    (project / "requirements.in").unlink()
    (project / "MLproject").write_text(MLPROJECT.replace("{type: int, default: 3}", "int"))
    again = run_cli("init", str(project), "--from", str(project / "MLproject"))
    text = (project / "envbuild.yaml").read_text()
    assert again.returncode == 0 and "\ncmd:" not in text and "needs epochs (no default)" in text
    # a docker_env project names an image built elsewhere: refused with what to pass instead
    (project / "MLproject").write_text("name: x\ndocker_env: {image: team/x}\nentry_points: {}\n")
    (project / "envbuild.yaml").unlink()
    refused = run_cli("init", str(project), "--from", str(project / "MLproject"))
    assert refused.returncode == 2 and "docker_env" in refused.stderr
