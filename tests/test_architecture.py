"""The folder list is the architecture (shared/docs/DESIGN.md): stages are packages, each imports only from the
stages below it, and no modules import each other in a cycle. Evaluation sits just above data because training
stages select on it (SASRec's early stopping, the fusion weight chosen on validation rows)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "sprec"
LAYERS = [  # lowest first; a module may import from its own layer and the ones before it
    {"errors", "io", "names", "hub", "distributed"},
    {"config"},
    {"data"},
    {"evaluation"},
    {"ranking"},
    {"baselines"},
    {"llm"},
    {"train"},
    {"report"},
    {"experiment"},
    {"analysis"},
    {"serve"},
    {"cli", "__init__"},
]


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The sprec modules a file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sprec":
            for alias in node.names:  # `from sprec.report import plots` imports the module sprec.report.plots
                sub = f"{node.module}.{alias.name}"
                found.add(sub if (SRC.parent / sub.replace(".", "/")).with_suffix(".py").exists() else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "sprec"}
    return found


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    return next(i for i, names in enumerate(LAYERS) if top in names)


GRAPH = {module_name(p): imports(p) - {module_name(p)} for p in SRC.rglob("*.py")}


def test_every_module_imports_only_from_its_stage_or_below():
    upward = [f"{m} -> {d}" for m, deps in GRAPH.items() for d in deps if d != "sprec" and layer(d) > layer(m)]
    assert not upward, upward


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(GRAPH.get(m, ())):
            if state.get(d) == 1:
                raise AssertionError(f"import cycle: {' -> '.join([*path[path.index(d):], d])}")
            if d in GRAPH and state.get(d) is None:
                visit(d, [*path, d])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


def test_the_top_level_holds_few_modules_and_every_package_is_a_stage():
    top = sorted(p.stem for p in SRC.glob("*.py"))
    assert len(top) <= 8, top
    known = set().union(*LAYERS)
    packages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())
    assert set(packages) <= known and set(top) <= known, (packages, top)
