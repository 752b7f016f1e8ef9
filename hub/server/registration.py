"""Registers servicers with request parsing the hub controls.

The generated ``add_*_to_server`` functions let grpc parse requests, and a
corrupt request then fails as UNKNOWN with a Python exception text. Here
every request parses through ``parse_or_malformed``: bad bytes become a
``MalformedRequest`` the servicer refuses with INVALID_ARGUMENT and reason
MALFORMED, like any other bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import DecodeError, Message


@dataclass(frozen=True)
class MalformedRequest:
    """Stands in for a request whose bytes did not parse."""

    type_name: str
    error: str


def parse_or_malformed(message_class: type[Message]) -> Callable[[bytes], Message | MalformedRequest]:
    def parse(data: bytes) -> Message | MalformedRequest:
        try:
            return message_class.FromString(data)
        except (DecodeError, ValueError) as error:
            return MalformedRequest(message_class.DESCRIPTOR.full_name, str(error)[:200])

    return parse


_HANDLER_FACTORIES = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def add_servicer(server: grpc.aio.Server, service: ServiceDescriptor, servicer: Any) -> None:
    """Register every method of ``service`` implemented by ``servicer``."""
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service.methods:
        request_class = message_factory.GetMessageClass(method.input_type)
        factory = _HANDLER_FACTORIES[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = factory(
            getattr(servicer, method.name),
            request_deserializer=parse_or_malformed(request_class),
            response_serializer=lambda response: response.SerializeToString(),
        )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))
