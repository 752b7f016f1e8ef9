"""Baseline server: the same Submit method over the same mTLS, answering without doing anything.

Receives the exact request bytes the hub receives and answers each with one
small pre-built response, so hub / baseline isolates what the hub itself costs.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import grpc

from hub.identity.credentials import load_hub


async def serve(federation_dir: Path, passphrase: bytes, port: int) -> None:
    credentials = load_hub(federation_dir, passphrase)
    server = grpc.aio.server(
        options=[("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)]
    )
    answer = b"\x0a\x02\x08\x01"  # a SubmitResponse with one tiny receipt

    async def submit(request_iterator, context):  # type: ignore[no-untyped-def]
        async for _request in request_iterator:
            yield answer

    handler = grpc.stream_stream_rpc_method_handler(
        submit, request_deserializer=lambda b: b, response_serializer=lambda b: b
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("pxhub.v1.ExchangeService", {"Submit": handler}),)
    )
    server.add_secure_port(f"127.0.0.1:{port}", credentials.grpc_server_credentials())
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3])))
