"""The adapters' compiled per-row modules (``adapters.compiled``): used only when current, and
mapping every export exactly as their sources do.

The rest of the suite runs on whichever the package loaded (compiled wherever ``make install``
could compile, which ``.ci/run`` requires with ``PXHUB_EXPECT_COMPILED=1``); here the sources run
in a second process and both parse and render the same exports, good and broken.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import adapters.compiled as compiled
from adapters import registry
from adapters.compiled import COMPILED_MODULES, EXPECT_COMPILED_ENV, PURE_PYTHON_ENV, source_digests, status
from adapters.countries import COUNTRY_SPECS
from adapters.national import NationalAdapter
from adapters.samples.synthetic import generate_profiles

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MEMBERS = sorted(COUNTRY_SPECS)
_BREAKS = [b";", b",", b"\n", b"\r\n", b'"', b"<", b">", b"{", b"}", b"[", b"]", b":", b"|", b"\x00",
           b"\xff", b"\xc3", b"00/00/0000", b"31/02/2020", b"2020-13-01", b"9" * 30, b"true", b"null"]


def test_the_compiled_modules_are_loaded_when_expected() -> None:
    if os.environ.get(EXPECT_COMPILED_ENV) == "1":
        assert compiled.is_active(), compiled.STATUS
    if not compiled.is_active():
        pytest.skip(compiled.STATUS)
    for name in COMPILED_MODULES:
        module = importlib.import_module(f"adapters.{name}")
        assert module.__spec__ is not None, name
        origin = Path(module.__spec__.origin or "")  # (mypyc names a module loaded with another after it)
        assert compiled.COMPILED_DIR in origin.parents, name
        assert origin.name.endswith(str(compiled.manifest()["extension_suffix"])), name


def test_a_build_is_used_only_while_it_matches_the_sources(tmp_path: Path) -> None:
    sources = tmp_path / "adapters"
    sources.mkdir()
    for name in COMPILED_MODULES:
        (sources / f"{name}.py").write_text(f"# {name}\n", encoding="utf-8")
    manifest = tmp_path / "manifest.json"
    assert status(manifest, sources, {}).startswith("pure Python: not compiled")

    suffix = compiled.manifest()["extension_suffix"]
    current = {"extension_suffix": suffix, "sources": source_digests(sources)}
    manifest.write_text(json.dumps(current), encoding="utf-8")
    assert status(manifest, sources, {}) == compiled.COMPILED
    assert status(manifest, sources, {PURE_PYTHON_ENV: "1"}) == f"pure Python: {PURE_PYTHON_ENV} is set"
    assert status(manifest, sources, {PURE_PYTHON_ENV: "0"}) == compiled.COMPILED

    (sources / "mapping.py").write_text("# mapping, edited\n", encoding="utf-8")
    assert status(manifest, sources, {}) == "pure Python: mapping.py changed since the build"

    manifest.write_text(json.dumps({**current, "extension_suffix": ".cpython-399-x.so"}), encoding="utf-8")
    assert status(manifest, sources, {}) == "pure Python: compiled for another interpreter"
    manifest.write_text("{not json", encoding="utf-8")
    assert status(manifest, sources, {}).startswith("pure Python: unreadable build manifest")


def _exports(member: str) -> dict[str, bytes]:
    """A clean export with failing ids, the sample file and broken copies of both."""
    adapter = registry.get_adapter(member)
    out = io.BytesIO()
    adapter.render(generate_profiles(member, 300, seed=21, id_error_rate=0.3), out)
    files = {"synthetic": out.getvalue(), "sample": adapter.sample_path().read_bytes()}
    rng = random.Random(f"{member}-breaks")
    for base in ("synthetic", "sample"):
        for n in range(12):
            data = bytearray(files[base])
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(len(data))
                kind = rng.choice(("flip", "insert", "delete"))
                if kind == "flip":
                    data[pos] = rng.randrange(256)
                elif kind == "insert":
                    data[pos:pos] = rng.choice(_BREAKS)
                else:
                    del data[pos:pos + rng.randint(1, 30)]
            files[f"{base}-broken-{n}"] = bytes(data)
    return files


def fingerprints() -> dict[str, str]:
    """A digest of every row each export parses to (record bytes and issues) and of its rendering."""
    found = {}
    for member in MEMBERS:
        adapter = registry.get_adapter(member)
        for name, data in _exports(member).items():
            digest = hashlib.sha256()
            records = []
            for row in adapter.parse(io.BytesIO(data)):
                record = row.record.SerializeToString(deterministic=True) if row.record is not None else b"-"
                digest.update(repr((row.row_number, record, row.issues)).encode())
                if row.record is not None:
                    records.append(row.record)
            if isinstance(adapter, NationalAdapter):
                rendered = io.BytesIO()
                adapter.render(records, rendered)
                digest.update(rendered.getvalue())
            found[f"{member}/{name}"] = digest.hexdigest()
    return found


def test_compiled_and_pure_python_modules_parse_and_render_every_export_alike() -> None:
    if not compiled.is_active():
        pytest.skip(compiled.STATUS)
    in_process = fingerprints()
    assert len(in_process) == len(MEMBERS) * 26
    pure = subprocess.run(
        [sys.executable, "-c", "import json, adapters.compiled as c, tests.test_compiled_adapters as t; "
                               "assert not c.is_active(), c.STATUS; print(json.dumps(t.fingerprints()))"],
        cwd=PROJECT_ROOT, env={**os.environ, PURE_PYTHON_ENV: "1"}, capture_output=True, text=True,
        timeout=600, check=False)
    assert pure.returncode == 0, pure.stderr
    by_sources = json.loads(pure.stdout)
    assert [name for name in in_process if in_process[name] != by_sources[name]] == []


def test_a_failed_build_is_an_error_only_where_the_compiled_modules_are_required(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from adapters import build as compile_adapters

    def no_compiler(target: Path = compiled.COMPILED_DIR) -> None:
        raise SystemExit("error: command 'cc' failed: No such file or directory")

    monkeypatch.setattr(compile_adapters, "build", no_compiler)
    monkeypatch.delenv(EXPECT_COMPILED_ENV, raising=False)
    assert compile_adapters.main([]) == 0
    assert "not compiled (SystemExit: error: command 'cc' failed" in capsys.readouterr().err
    monkeypatch.setenv(EXPECT_COMPILED_ENV, "1")
    assert compile_adapters.main([]) == 1
