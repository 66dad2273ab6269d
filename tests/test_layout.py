"""The house's layout: imports run one way, only storage builds queries, ``pakn --help`` is light.

config ← storage ← classifier, monitor, review ← cli. classifier, monitor and review never import
each other's modules (monitor and review may use classifier's label vocabulary); the simulator
stands alone, so it can be replaced by a recording or another fake. ``docs/architecture.md``
explains the picture.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "storage", "classifier", "monitor", "review", "simulator", "cli")
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "storage": {"config"},
    "classifier": {"config"},
    "monitor": {"config", "storage", "classifier"},
    "review": {"config", "storage", "classifier"},
    "simulator": set(),
    "cli": set(PACKAGES),
}
# Outside storage, SQLAlchemy appears only as the types a caller passes around (and a URL parser).
SQLALCHEMY_TYPES = {"Session", "sessionmaker", "Engine", "make_url"}


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) of every import in the file, nested ones included."""
    found: list[tuple[str, list[str], int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_packages_below_it(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources(package)
        for module, _names, line in _imports(path)
        if (top := module.split(".")[0]) in PACKAGES
        and top != package
        and top not in ALLOWED[package]
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "storage"])
def test_only_storage_builds_queries(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module} {names}"
        for path in _sources(package)
        for module, names, line in _imports(path)
        if module.split(".")[0] == "sqlalchemy" and not (names and set(names) <= SQLALCHEMY_TYPES)
    ]
    assert not wrong, "\n".join(wrong)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return set(out.stdout.split())


def test_the_daemon_does_not_load_the_web_and_the_web_does_not_load_the_daemon() -> None:
    daemon = _modules_after("import monitor.daemon, monitor.jobs")
    web = _modules_after("import review.app")
    assert not {m for m in daemon if m.split(".")[0] in ("review", "cli", "flask")}
    assert not {m for m in web if m.split(".")[0] in ("monitor", "cli", "simulator")}


def test_pakn_help_imports_neither_the_database_nor_the_classifier_stack() -> None:
    code = (
        "import sys\nfrom cli.main import main\nsys.argv=['pakn','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    started = time.perf_counter()
    loaded = _modules_after(code)
    elapsed = time.perf_counter() - started
    heavy = {m.split(".")[0] for m in loaded} & {"sqlalchemy", "sklearn", "matplotlib", "numpy"}
    assert not heavy
    # A figure for the reader, not an assertion: timings depend on the machine.
    print(f"pakn --help in a fresh interpreter: {elapsed:.2f} s")


def test_every_lazy_command_is_listed_with_its_own_short_help() -> None:
    from cli.main import COMMANDS, load_command

    for name, (spec, short_help) in COMMANDS.items():
        command = load_command(spec)
        assert command.name == name, spec
        assert command.get_short_help_str(limit=200) == short_help, name


def test_the_readme_layout_names_every_top_level_folder_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    named = set()
    for line in block.splitlines():
        named |= {word.rstrip("/:") for word in line.split() if word.endswith(("/", "/:"))}
    on_disk = {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and not p.name.endswith(".egg-info")
        and p.name not in ("build", "dist", "pakn-data")
    }
    assert named == on_disk
    assert (ROOT / "docs" / "architecture.md").is_file()
