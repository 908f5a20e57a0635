"""The layout's promises that no linter checks: core modules stay small enough to read, each job of the one service
object in its own module, and the UI's pages go through the controller's typed methods."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_CORE_LINES = 500


def test_no_core_module_is_over_500_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in (ROOT / "core").rglob("*.py") if "migrations" not in p.parts}
    assert len(sizes) > 20  # the walk found the package
    assert {p: n for p, n in sizes.items() if n > MAX_CORE_LINES} == {}


def test_savepets_is_composed_of_one_part_a_job():
    from core.service.base import ServiceBase
    from core.usecases import SavePets

    parts = [c for c in SavePets.__mro__ if c.__module__.startswith("core.service.")]
    assert {c.__module__ for c in parts} == {
        f"core.service.{m}" for m in ("base", "gallery", "lookup", "registration", "dogs_and_owners", "reviews",
                                      "staff_and_signin", "owners_rights", "reunite", "lost_and_found")}
    assert all(issubclass(c, ServiceBase) for c in parts)
    own = {name: c.__module__.rsplit(".", 1)[1] for c in parts for name in vars(c) if not name.startswith("__")}
    assert {n: own[n] for n in ("register", "lookup", "list_dogs", "resolve_review", "sign_in", "erase_owner",
                                "refresh_gallery", "now", "report_lost", "decide_reunion")} == {
        "register": "registration", "lookup": "lookup", "list_dogs": "dogs_and_owners", "resolve_review": "reviews",
        "sign_in": "staff_and_signin", "erase_owner": "owners_rights", "refresh_gallery": "gallery", "now": "base",
        "report_lost": "lost_and_found", "decide_reunion": "reunite"}


def test_pages_call_typed_controller_methods_only():
    """No page runs a use case by name (controller.call) or reaches the service behind the controller."""
    from ui.controller import Controller

    offenders = []
    for path in sorted((ROOT / "ui").glob("*.py")):
        if path.name == "controller.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                    and node.value.attr == "controller" and node.attr in ("call", "service", "run"):
                offenders.append(f"{path.name}:{node.lineno} controller.{node.attr}")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "controller" and node.attr in ("call", "service", "run"):
                offenders.append(f"{path.name}:{node.lineno} controller.{node.attr}")
    assert offenders == []
    assert not hasattr(Controller, "call")
