from envbuild.core.lock.pip_format import parse_pins
from envbuild.ecosystems.conda import INSTALLER_PINS
from tests.conftest import REPO


def test_the_conda_image_installer_is_the_py_rattler_envbuild_itself_is_locked_to():
    installer = parse_pins(INSTALLER_PINS.read_text(), "conda-installer.txt").packages
    dev = {p.name: p for p in parse_pins((REPO / "locks" / "dev.txt").read_text(), "dev.txt").packages}
    assert [p.name for p in installer] == ["py-rattler"]
    assert installer[0] == dev["py-rattler"], "re-copy the py-rattler pin from locks/dev.txt"


def test_the_in_image_installer_of_pip_targets_is_the_uv_envbuild_itself_is_locked_to():
    from envbuild.ecosystems.pip import INSTALLER_PINS as UV_PINS

    installer = parse_pins(UV_PINS.read_text(), "uv-installer.txt").packages
    dev = {p.name: p for p in parse_pins((REPO / "locks" / "dev.txt").read_text(), "dev.txt").packages}
    assert [p.name for p in installer] == ["uv"]
    assert installer[0] == dev["uv"], "re-copy the uv pin from locks/dev.txt"
