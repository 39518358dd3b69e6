"""core/ never imports Qt, pyqtgraph or app/; heavy libraries stay out of start-up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

FORBIDDEN = ("PySide6", "pyqtgraph", "superqt", "shiboken6", "app")


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_core_never_imports_qt_or_app():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for line, name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert not offending, "\n".join(offending)


def test_import_linter_contract_holds():
    exe = Path(sys.executable).parent / "lint-imports"
    lint = subprocess.run([str(exe), "--config", str(ROOT / "pyproject.toml")],
                          cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "KEPT" in lint.stdout


def _knots(graph, modules):
    """The strongly connected components of more than one module (each an import cycle)."""
    index, low, stack, on_stack, knots = {}, {}, [], set(), []
    for start in sorted(modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start) & modules)))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    knot = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        knot.add(member)
                        if member == node:
                            break
                    if len(knot) > 1:
                        knots.append(sorted(knot))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return knots


def test_no_module_of_core_or_app_is_in_an_import_cycle():
    """Issue 37: no circle of imports, lazy ones inside functions included (31 core modules were
    one knot through them). grimp builds the graph import-linter checks; a cycle is a strongly
    connected component of more than one module, and each is named."""
    import grimp

    graph = grimp.build_graph("core", "app", cache_dir=None)
    modules = set(graph.modules)
    assert {"core.embed", "core.logos.query", "app.main"} <= modules  # the graph holds what we check
    toy = grimp.ImportGraph()  # the detector finds a lazy circle of three and leaves a chain alone
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")):
        toy.add_import(importer=importer, imported=imported)
    assert _knots(toy, set(toy.modules)) == [["p.a", "p.b", "p.c"]]
    knots = _knots(graph, modules)
    assert not knots, "\n".join(" <-> ".join(k) for k in knots)


def test_core_and_app_modules_do_not_import_torch_at_import_time():
    code = (
        "import sys, core.cli, core.jobs, core.cache, core.embed, core.models.loaders, "
        "core.models.manager, app.main, app.main_window, app.jobs_view, app.settings;"
        "heavy = [m for m in ('torch', 'open_clip', 'timm', 'sentence_transformers') if m in sys.modules];"
        "qt_in_core = 'PySide6' in sys.modules;"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_ruff_is_clean_including_the_ban_on_module_level_heavy_imports():
    exe = Path(sys.executable).parent / "ruff"
    out = subprocess.run([str(exe), "check", "app", "core", "tests", "bench"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_each_workspace_gui_mirrors_core_and_no_app_module_is_over_400_lines():
    """app/<workspace>/ holds each workspace's GUI (its page first), mirroring core/<workspace>/;
    modules stay small enough to read (one idea each)."""
    for ws in ("albums", "logos", "lostfound", "fusion", "trends"):
        assert (ROOT / "core" / ws).is_dir()
        assert (ROOT / "app" / ws / "page.py").is_file(), f"app/{ws}/page.py is missing"
    assert not (ROOT / "app" / "pages").exists(), "the pages live in app/<workspace>/ now"
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in sorted((ROOT / "app").rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert not long, "\n".join(long)
