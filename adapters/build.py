"""Compile the adapters' per-row modules with mypyc into ``adapters/_compiled/`` (``adapters.compiled``).

Run by ``make install``. The modules are built in a temporary folder and moved in; the manifest,
which is what makes ``adapters`` use them, is written last and only after the build succeeded,
so a failed or interrupted build leaves the package on its sources. Without a C compiler (or if
mypyc refuses a source) this says why and exits 0: the adapters then run as pure Python, just
slower. With ``PXHUB_EXPECT_COMPILED=1`` (``.ci/run``, where the compiled path must be tested) a
failure is an error, so the install stops there with the compiler's reason.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from adapters.compiled import COMPILED_DIR, COMPILED_MODULES, EXPECT_COMPILED_ENV, MANIFEST, manifest

PROJECT_ROOT = COMPILED_DIR.parents[1]
#: The shared library of the compiled modules, inside the folder they are loaded from.
GROUP_NAME = "adapters._compiled.native"


def build(target: Path = COMPILED_DIR) -> None:
    """Compile ``COMPILED_MODULES`` and install them with their manifest into ``target``."""
    from mypyc.build import mypycify
    from setuptools import setup

    digests_before = manifest()
    with tempfile.TemporaryDirectory(prefix="pxhub-mypyc-") as tmp:
        work = Path(tmp)
        cwd = os.getcwd()
        os.chdir(PROJECT_ROOT)  # mypyc names the modules after their paths
        try:
            extensions = mypycify([f"adapters/{name}.py" for name in COMPILED_MODULES],
                                  opt_level="3", group_name=GROUP_NAME,
                                  target_dir=str(work / "c"))
            setup(name="pxhub-compiled-adapters", ext_modules=extensions,
                  script_args=["--quiet", "build_ext", "--build-lib", str(work / "lib"),
                               "--build-temp", str(work / "tmp"), "--parallel", str(os.cpu_count() or 1)])
        finally:
            os.chdir(cwd)
        built = sorted((work / "lib").rglob("*.so"))
        if len(built) != len(COMPILED_MODULES) + 1:  # one per module and the shared library
            raise RuntimeError(f"expected {len(COMPILED_MODULES) + 1} extension modules, built {built}")
        if manifest() != digests_before:
            raise RuntimeError("a source changed during the build; run it again")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for path in built:
            shutil.move(path, target / path.name)
    tmp_manifest = target / f".{MANIFEST.name}.tmp"
    tmp_manifest.write_text(json.dumps(digests_before, indent=2) + "\n", encoding="utf-8")
    tmp_manifest.replace(target / MANIFEST.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog=f"{EXPECT_COMPILED_ENV}=1: a failed build is an error (exit 1)")
    parser.parse_args(argv)
    required = os.environ.get(EXPECT_COMPILED_ENV) == "1"
    started = time.monotonic()
    try:
        build()
    except (Exception, SystemExit) as exc:  # setuptools reports a compiler failure as SystemExit
        print(f"adapters: not compiled ({type(exc).__name__}: {exc}); they run as pure Python",
              file=sys.stderr)
        return 1 if required else 0
    print(f"adapters: compiled {', '.join(COMPILED_MODULES)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
