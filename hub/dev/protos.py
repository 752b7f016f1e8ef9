"""Regenerate the Python code and typed stubs from ``proto/``.

The generated modules are committed (so installing pxhub needs no protoc);
``tests/test_contract.py`` regenerates into a temporary folder and fails if
anything differs from what is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parents[2] / "proto"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")


def proto_files(root: Path = PROTO_ROOT) -> list[Path]:
    return sorted((root / "pxhub" / "v1").glob("*.proto"))


def generate(out_dir: Path, root: Path = PROTO_ROOT) -> None:
    """Run protoc (from grpcio-tools) with mypy-protobuf into ``out_dir``."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    # protoc-gen-mypy lives next to the interpreter in the virtual environment.
    plugin_dir = Path(sys.executable).parent
    args = [
        "protoc",
        f"-I{root}",
        f"-I{well_known}",
        f"--plugin=protoc-gen-mypy={plugin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={plugin_dir / 'protoc-gen-mypy_grpc'}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--mypy_out={out_dir}",
        f"--mypy_grpc_out={out_dir}",
        *[str(p.relative_to(root)) for p in proto_files(root)],
    ]
    code = protoc.main(args)
    if code != 0:
        raise RuntimeError(f"protoc failed with exit code {code}")


def generated_files(base: Path) -> dict[str, bytes]:
    """Map of relative path -> content of every generated file under ``base``."""
    found = {}
    for path in sorted((base / "pxhub" / "v1").iterdir()):
        if path.name.endswith(GENERATED_SUFFIXES):
            found[str(path.relative_to(base))] = path.read_bytes()
    return found


def main() -> None:
    for name in generated_files(PROTO_ROOT):
        (PROTO_ROOT / name).unlink()
    generate(PROTO_ROOT)
    print(f"generated {len(generated_files(PROTO_ROOT))} files under {PROTO_ROOT / 'pxhub' / 'v1'}")


if __name__ == "__main__":
    main()
