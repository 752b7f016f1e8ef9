"""The adapters' hot modules compiled to C with mypyc, used only when the build matches the sources.

Why: validating and mapping a row is tens of microseconds of Python, and CPython spends a good
part of it interpreting. mypyc compiles the same source files (no second implementation to keep
equal) into extension modules that skip the interpreter; on a national CSV export a row then takes
about a quarter fewer instructions (docs/adapters.md, "Speed and memory", has the figures).

``make install`` builds them into ``adapters/_compiled/`` (``python -m adapters.build``;
the folder is not in git). ``activate`` puts that folder ahead of the sources in the package's
path, so ``import adapters.mapping`` loads the compiled module, but only when the build's
manifest names this interpreter's extension suffix and the SHA-256 of every compiled source as
it is now. Otherwise (no build, an edited source, another Python) and whenever
``PXHUB_PURE_PYTHON=1``, the sources run as they are: an edited file is never shadowed by an old
build. ``STATUS`` says which happened (the adapter benchmark prints it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = ["COMPILED", "COMPILED_DIR", "COMPILED_MODULES", "EXPECT_COMPILED_ENV", "MANIFEST",
           "PURE_PYTHON_ENV", "STATUS", "activate", "is_active", "manifest", "source_digests", "status"]

#: The modules of the per-row path, in the ``adapters`` package: they are compiled together.
COMPILED_MODULES: Final = ("wire", "ids", "codes", "mapping")
COMPILED_DIR: Final = Path(__file__).resolve().parent / "_compiled"
MANIFEST: Final = COMPILED_DIR / "manifest.json"
#: Set to 1 to run the sources even when a current build exists (the tests of the pure path do).
PURE_PYTHON_ENV: Final = "PXHUB_PURE_PYTHON"
#: Set to 1 where the compiled path must be the one tested (CI): a failed build is then an error.
EXPECT_COMPILED_ENV: Final = "PXHUB_EXPECT_COMPILED"

COMPILED: Final = "compiled"
STATUS = "pure Python: not activated"
_EXTENSION_SUFFIX: Final = sysconfig.get_config_var("EXT_SUFFIX")


def source_digests(sources_dir: Path = COMPILED_DIR.parent) -> dict[str, str]:
    """SHA-256 of each compiled module's source file, by module name."""
    return {name: hashlib.sha256((sources_dir / f"{name}.py").read_bytes()).hexdigest()
            for name in COMPILED_MODULES}


def manifest() -> dict[str, object]:
    """What a build of the current sources for this interpreter records (and is checked against)."""
    return {"extension_suffix": _EXTENSION_SUFFIX, "sources": source_digests()}


def activate(package_path: list[str]) -> str:
    """Put the compiled modules ahead of the sources in ``package_path`` if they are current."""
    global STATUS  # noqa: PLW0603 - set once, when the package is imported
    STATUS = status(MANIFEST, COMPILED_DIR.parent, os.environ)
    if STATUS == COMPILED and str(COMPILED_DIR) not in package_path:
        package_path.insert(0, str(COMPILED_DIR))
    return STATUS


def is_active() -> bool:
    return STATUS == COMPILED


def status(manifest_path: Path, sources_dir: Path, environ: Mapping[str, str]) -> str:
    """``COMPILED`` if the build at ``manifest_path`` is current and wanted, else why not."""
    if environ.get(PURE_PYTHON_ENV, "") not in ("", "0"):
        return f"pure Python: {PURE_PYTHON_ENV} is set"
    try:
        built = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "pure Python: not compiled (make install compiles them)"
    except (OSError, ValueError) as exc:
        return f"pure Python: unreadable build manifest ({exc})"
    if not isinstance(built, dict) or built.get("extension_suffix") != _EXTENSION_SUFFIX:
        return "pure Python: compiled for another interpreter"
    sources = built.get("sources")
    changed = [f"{name}.py" for name, digest in source_digests(sources_dir).items()
               if not isinstance(sources, dict) or sources.get(name) != digest]
    if changed:
        return f"pure Python: {', '.join(changed)} changed since the build"
    return COMPILED
