"""The standard protos shipped in proto/third_party describe what the hub actually serves."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import grpc_tools
import pytest
from google.protobuf import descriptor_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from grpc_tools import protoc

from hub.dev.protos import PROTO_ROOT

THIRD_PARTY = PROTO_ROOT / "third_party"

# Shipped file -> the installed runtime module the hub serves or decodes it with.
RUNTIME: dict[str, ModuleType] = {
    "grpc/health/v1/health.proto": health_pb2,
    "grpc/reflection/v1alpha/reflection.proto": reflection_pb2,
    "google/rpc/status.proto": status_pb2,
    "google/rpc/error_details.proto": error_details_pb2,
    "google/rpc/code.proto": code_pb2,
}
SHIPPED = [*RUNTIME, "grpc/reflection/v1/reflection.proto"]


def _compile(tmp_path: Path) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    out = tmp_path / "third_party.pb"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = ["protoc", f"-I{THIRD_PARTY}", f"-I{well_known}", f"--descriptor_set_out={out}", *SHIPPED]
    assert protoc.main(args) == 0, "a shipped third-party proto does not compile"
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    return {f.name: f for f in files}


def _wire_shape(file: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """Package, messages, enums and services: what a client's generated code depends on."""
    shape = descriptor_pb2.FileDescriptorProto(package=file.package)
    shape.message_type.extend(file.message_type)
    shape.enum_type.extend(file.enum_type)
    shape.service.extend(file.service)

    def drop_json_names(message: descriptor_pb2.DescriptorProto) -> None:
        for field in message.field:
            field.ClearField("json_name")  # protoc fills it in; runtime descriptors leave it out
        for nested in message.nested_type:
            drop_json_names(nested)

    for message in shape.message_type:
        drop_json_names(message)
    return shape


@pytest.mark.parametrize("name", sorted(RUNTIME))
def test_shipped_proto_matches_the_runtime(name: str, tmp_path: Path) -> None:
    shipped = _compile(tmp_path)[name]
    runtime = descriptor_pb2.FileDescriptorProto()
    RUNTIME[name].DESCRIPTOR.CopyToProto(runtime)
    assert _wire_shape(shipped) == _wire_shape(runtime), f"{name} differs from the installed package"


def test_reflection_v1_has_the_v1alpha_messages(tmp_path: Path) -> None:
    """v1 is v1alpha under a new package: a client may use either against the hub."""
    files = _compile(tmp_path)
    v1 = _wire_shape(files["grpc/reflection/v1/reflection.proto"])
    v1alpha = _wire_shape(files["grpc/reflection/v1alpha/reflection.proto"])
    assert v1.package == "grpc.reflection.v1"
    assert [m.name for m in v1.message_type] == [m.name for m in v1alpha.message_type]
    assert [[f.number for f in m.field] for m in v1.message_type] == [
        [f.number for f in m.field] for m in v1alpha.message_type
    ]


def test_every_shipped_file_has_a_licence_and_a_line_in_the_readme() -> None:
    readme = (THIRD_PARTY / "README.md").read_text()
    for name in SHIPPED:
        assert f"`{name}`" in readme, f"{name} is missing from proto/third_party/README.md"
        assert (THIRD_PARTY / name.split("/")[0] / "LICENSE").is_file()
