"""adapters/inputs.py: what a target's inputs may be."""


def test_a_setup_py_as_a_lock_input_says_what_to_do(tmp_path):
    import pytest

    from envbuild.adapters.inputs import load_spec, load_target_inputs
    from envbuild.errors import SpecError

    (tmp_path / "envbuild.yaml").write_text('name: a/b\npython: "3.11"\nrequirements: [setup.py]\ntargets:\n  cpu: {}\n')
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(install_requires=['numpy'])\n")
    spec = load_spec(tmp_path)
    with pytest.raises(SpecError, match=r"requirements\[0\]: setup.py: envbuild reads dependencies as written"):
        load_target_inputs(spec, tmp_path, spec.target("cpu"))
