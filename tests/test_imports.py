"""Imports point one way, from the commands down to the model: no module imports one that imports it."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "briefgen"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The briefgen modules `path` imports, at module level or inside functions alike."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
            found |= submodules or {target}
    return {m for m in found if m in modules and m != name}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the modules along it (the first repeated at the end), if any."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph[node]):
            found = visit(nxt)
            if found:
                return found
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start)
        if found:
            return found
    return None


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def test_no_module_imports_one_that_imports_it():
    graph = import_graph()
    assert graph["briefgen.cli"] and "briefgen.model" in graph["briefgen.index"]  # the graph is read
    cycle = cycle_in(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycle_in(graph) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


COMMAND_LAYER = ("briefgen.cli", "briefgen.__main__", "briefgen.commands")


def in_command_layer(module: str) -> bool:
    return any(module == top or module.startswith(top + ".") for top in COMMAND_LAYER)


def test_modules_below_the_commands_never_import_them():
    graph = import_graph()
    assert graph["briefgen.commands.digest"]  # the command layer is read too
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if not in_command_layer(module)
        for target in targets
        if in_command_layer(target)
    )
    assert upward == []


def test_only_the_commands_print_or_exit():
    """Below the commands, modules raise and hand lines to a callback: no print(), no sys.exit()."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if in_command_layer(module_name(path)):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            helper_exit = name == "os._exit" and module_name(path) == "briefgen.parallel"  # a helper ends
            if name in ("print", "sys.exit", "exit", "os._exit", "traceback.print_exc") and not helper_exit:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}()")
    assert found == []


def test_only_the_executor_forks():
    """parallel.py starts every helper process: no other module imports multiprocessing or forks."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if module_name(path) == "briefgen.parallel":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.fork", "os.forkpty"):
                names = [ast.unparse(node.func)]
            found += [
                f"{path.relative_to(REPO)}:{node.lineno}: {name}"
                for name in names
                if name.split(".")[0] in ("multiprocessing", "concurrent") or name.startswith("os.fork")
            ]
    assert found == []
