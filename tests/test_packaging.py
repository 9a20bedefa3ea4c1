"""environment.yml stays in step with pyproject.toml, and README's commands are what CI runs."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"duckdb": "python-duckdb"}  # PyPI name -> conda-forge name where they differ


def _req(spec: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", spec)
    assert m, f"dependency {spec!r} must be written name>=lower.bound"
    return m.group(1).lower(), m.group(2)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        deps += extra
    wanted = {CONDA_NAMES.get(n, n): v for n, v in map(_req, deps)}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_req(d) for d in env["dependencies"] if isinstance(d, str) and ">=" in d and
                 not d.startswith("python>="))
    assert conda == wanted


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "<!-- test-command -->" in readme and "<!-- demo-command -->" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in ci


def test_readme_analyst_tour_runs(tmp_path, monkeypatch):
    """The README's Python tour is executed as written, on the shipped data."""
    import matplotlib

    matplotlib.use("Agg")
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## For an analyst.*?```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - our own documentation
