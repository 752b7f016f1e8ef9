"""The layout holds: no import circle between files, and every import runs down the floors.

docs/architecture.md draws the floors; this test is what keeps the drawing true. It reads every
``import`` of ``hub``, ``adapters`` and ``flows`` with ``ast`` (lazy imports inside functions and
imports under ``TYPE_CHECKING`` count too: they are arrows all the same) and checks:

* the top-level packages stack one way: ``flows`` -> ``adapters`` -> ``hub`` -> ``pxhub`` (the
  generated contract), and ``adapters`` reaches into ``hub`` only for its pure core;
* inside ``hub``, each room imports only the rooms below it (``ALLOWED``);
* no production module imports the sample content (``adapters.samples``, ``flows.samples``);
* no two files import each other, directly or around a circle;
* ``hub/`` holds no loose module besides ``__init__.py`` and ``settings.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hub", "adapters", "flows")
SKIPPED_PARTS = ("_compiled", "versions")  # built extension modules; Alembic's generated revisions

#: What each top-level package may import (besides itself and the standard library).
TOP_LEVEL = {
    "hub": {"pxhub"},
    "adapters": {"pxhub", "hub.core"},
    "flows": {"pxhub", "hub", "adapters"},
}

#: The rooms of hub/, each with the rooms it may import (its own included), lowest floor first.
ALLOWED: dict[str, set[str]] = {
    "hub.core": {"hub.core"},
    "hub.settings": set(),
    "hub.runtime": {"hub.runtime"},
    "hub.identity": {"hub.core", "hub.runtime", "hub.identity"},
    "hub.policy": {"hub.core", "hub.runtime", "hub.identity", "hub.policy"},
    "hub.transport": {"hub.core", "hub.runtime", "hub.identity", "hub.transport"},
    "hub.store": {"hub.core", "hub.runtime", "hub.store"},
    "hub.services": {"hub.core", "hub.runtime", "hub.identity", "hub.policy", "hub.store", "hub.services"},
    "hub.sdk": {"hub.core", "hub.runtime", "hub.identity", "hub.policy", "hub.transport", "hub.sdk"},
    "hub.server": {
        "hub.core",
        "hub.runtime",
        "hub.settings",
        "hub.identity",
        "hub.policy",
        "hub.transport",
        "hub.store",
        "hub.services",
        "hub.server",
    },
    "hub.dev": {
        "hub.core",
        "hub.runtime",
        "hub.settings",
        "hub.identity",
        "hub.policy",
        "hub.store",
        "hub.dev",
    },
    "hub.cli": {
        "hub.core",
        "hub.runtime",
        "hub.settings",
        "hub.identity",
        "hub.policy",
        "hub.transport",
        "hub.store",
        "hub.services",
        "hub.sdk",
        "hub.server",
        "hub.dev",
        "hub.cli",
    },
}
SAMPLES = ("adapters.samples", "flows.samples")
#: The only modules that may import the sample content: the samples themselves and the demo.
SAMPLE_USERS = ("adapters.samples", "flows.samples", "flows.demo")


def module_files() -> dict[str, Path]:
    """Module name -> file, for every source module of the three packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if any(part in SKIPPED_PARTS for part in path.relative_to(ROOT).parts):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_modules(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """Every module of this tree that ``module`` imports (the most specific module a name resolves to)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in known:  # "hub.core.envelope.seal" (a function) -> its module
                name = name.rpartition(".")[0]
            if name:
                yield name


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {m: set(imported_modules(m, p, known)) - {m} for m, p in files.items()}


def room(module: str) -> str:
    """``hub.core.envelope.model`` -> ``hub.core``; ``adapters.rows`` -> ``adapters``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "hub" and len(parts) > 1 else parts[0]


def under(module: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_top_level_packages_stack_one_way() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if (top := module.split(".")[0]) != target.split(".")[0] and not under(target, TOP_LEVEL[top])
    ]
    assert wrong == []


def test_rooms_of_the_hub_import_only_downwards() -> None:
    rooms = {room(m) for m in module_files() if m.startswith("hub.")}
    assert rooms == set(ALLOWED), "a new room of hub/ needs its floor in ALLOWED (and docs/architecture.md)"
    wrong = [
        f"{module} ({room(module)}) imports {target}"
        for module, targets in import_graph().items()
        if module.startswith("hub.")
        for target in targets
        if target.startswith("hub.") and room(target) not in ALLOWED[room(module)]
    ]
    assert wrong == []


def test_production_code_never_imports_the_samples() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if not under(module, SAMPLE_USERS)
        for target in targets
        if under(target, SAMPLES)
    ]
    assert wrong == []


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one file (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_files() -> None:
    assert circles(import_graph()) == []


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_hub_has_no_loose_modules() -> None:
    loose = sorted(
        p.name for p in (ROOT / "hub").glob("*.py") if p.name not in ("__init__.py", "settings.py")
    )
    assert loose == []
