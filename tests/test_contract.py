"""The .proto files are the contract: lint-clean, and the committed generated code is current."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.dev.protos import PROTO_ROOT, generate, generated_files


def test_generated_code_is_current(tmp_path: Path) -> None:
    shutil.copytree(
        PROTO_ROOT / "pxhub", tmp_path / "pxhub", ignore=shutil.ignore_patterns("*_pb2*", "__pycache__")
    )
    generate(tmp_path, root=tmp_path)
    fresh = generated_files(tmp_path)
    committed = generated_files(PROTO_ROOT)
    assert sorted(fresh) == sorted(committed), "run `make proto` and commit the result"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"generated code differs from proto/ for {stale}: run `make proto`"


def test_buf_lint_is_clean() -> None:
    """STANDARD and COMMENTS (proto/buf.yaml): every element of the contract says what it means."""
    buf = Path(sys.executable).parent / "buf"
    if not buf.exists():
        pytest.fail("buf is not installed in the virtual environment (package buf-bin)")
    result = subprocess.run([str(buf), "lint"], cwd=PROTO_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_personal_field_carries_a_sensitivity_tier() -> None:
    """Minimisation is computed from field options, so an untagged profile field would leak past it."""
    from pxhub.v1 import inmate_profile_pb2, options_pb2

    untagged = []
    seen: set[str] = set()

    def walk(descriptor) -> None:
        if descriptor.full_name in seen:
            return
        seen.add(descriptor.full_name)
        for field in descriptor.fields:
            if not field.GetOptions().HasExtension(options_pb2.sensitivity):
                untagged.append(f"{descriptor.name}.{field.name}")
            # Shared types (PartialDate, Place, ...) inherit the tier of the field that holds them.
            if field.message_type is not None and field.message_type.file == descriptor.file:
                walk(field.message_type)

    walk(inmate_profile_pb2.InmateSecurityProfile.DESCRIPTOR)
    assert not untagged, untagged
