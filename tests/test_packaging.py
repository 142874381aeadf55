"""The wheel contains every module of the remapped folders, and every entry point resolves."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "core": "spikeplug",
    "plugins": "spikeplug/plugins",
    "neurons_builtin": "spikeplug/neurons_builtin",
    "encoders_builtin": "spikeplug/encoders_builtin",
    "norse_compat": "spikeplug/norse",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """A wheel built from a copy of the source tree (so the checkout stays clean)."""
    src = tmp_path_factory.mktemp("src")
    for name in [*FOLDERS, "pyproject.toml", "README.md"]:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(src)],
        check=True,
    )
    (built,) = out.glob("spikeplug-*.whl")
    return zipfile.ZipFile(built)


def test_every_module_is_in_the_wheel(wheel):
    """Every .py file under core/, plugins/, neurons_builtin/, encoders_builtin/, norse_compat/ is packaged
    at its mapped path; a package missing from [tool.setuptools] packages fails here."""
    names = set(wheel.namelist())
    missing = []
    for folder, target in FOLDERS.items():
        for py in (ROOT / folder).rglob("*.py"):
            rel = py.relative_to(ROOT / folder).as_posix()
            if f"{target}/{rel}" not in names:
                missing.append(f"{folder}/{rel}")
    assert not missing, f"not in the wheel (add the package to pyproject.toml): {missing}"


def test_entry_points_name_packaged_modules(wheel):
    """Each `spikeplug` entry point of the wheel names a module that the wheel contains."""
    (ep_file,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    parser = configparser.ConfigParser()
    parser.optionxform = str
    parser.read_string(wheel.read(ep_file).decode())
    names = set(wheel.namelist())
    plugins = dict(parser["spikeplug"])
    assert {"lif", "surrogates"} <= set(plugins)
    for name, module in plugins.items():
        path = module.replace(".", "/") + ".py"
        assert path in names, f"entry point {name} = {module}: {path} is not in the wheel"
    assert parser["console_scripts"]["spikeplug"] == "spikeplug.cli:main"
