"""Dependencies point one way: transport → schema → accounts → cache.

The seam between the view and the cache is where bugs hid: the view read
generations from the cache itself, and the accounts service imported a type of
the response cache. Now only the accounts service (and `app.py`, which composes
everything) may touch the cache, and no package imports one before it.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gateway"
CHAIN = ("transport", "schema", "accounts", "cache")
#: Besides the cache itself, who may import `gateway.cache`.
CACHE_USERS = {"accounts", "app"}


def imports(path: Path) -> set[str]:
    """The `gateway` packages that a module imports (`gateway.x.y` → `x`), however
    it names them: `from gateway import x` and `from ..x import y` count too."""
    package = ("gateway", *path.relative_to(PACKAGE).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = absolute(node, package)
            names = [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.split(".")[1] for name in names if name.startswith("gateway.")}
    return found


def absolute(node: ast.ImportFrom, package: tuple[str, ...]) -> str:
    """The module a `from … import` names, resolved against `package`."""
    if not node.level:
        return node.module or ""
    base = package[: len(package) - node.level + 1]
    return ".".join((*base, node.module) if node.module else base)


def modules() -> dict[str, set[str]]:
    """Each module of the package (`transport/view.py`) and what it imports."""
    return {
        str(path.relative_to(PACKAGE)): imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_no_package_imports_one_before_it_in_the_chain() -> None:
    backwards = [
        (module, imported)
        for module, imported_packages in modules().items()
        if (package := module.split("/")[0]) in CHAIN
        for imported in imported_packages
        if imported in CHAIN and CHAIN.index(imported) < CHAIN.index(package)
    ]
    assert backwards == []


def test_only_the_accounts_service_and_the_app_touch_the_cache() -> None:
    users = {
        module
        for module, imported in modules().items()
        if "cache" in imported
        and module.split("/")[0].removesuffix(".py") not in {"cache", *CACHE_USERS}
    }
    assert users == set()
