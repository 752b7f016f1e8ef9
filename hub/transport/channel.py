"""The client side of the wire: an mTLS channel to the hub, presenting one party's certificate.

One function opens every client channel (the member SDK, the audit client, tools and benchmarks),
so the message-size limits, keepalive and the optional TLS name override are set in one place.
"""

from __future__ import annotations

import grpc

from hub.identity.credentials import IdentityCredentials
from hub.transport.retry import DEFAULT_RATE_LIMIT_WAIT, RateLimitRetry

#: Options of every client channel: large enough for a full Fetch page, and a keepalive ping
#: a minute so a NAT or load balancer does not drop an idle following stream.
CHANNEL_OPTIONS: list[tuple[str, int | str]] = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 60_000),
]


def channel_credentials(identity: IdentityCredentials) -> grpc.ChannelCredentials:
    """mTLS credentials: trust only the federation CA, present ``identity``'s certificate."""
    return grpc.ssl_channel_credentials(
        root_certificates=identity.ca_certificate_pem,
        private_key=identity.tls_private_key_pem,
        certificate_chain=identity.tls_certificate_pem,
    )


def open_channel(
    target: str,
    identity: IdentityCredentials,
    server_name: str | None = None,
    *,
    rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT,
) -> grpc.aio.Channel:
    """An asyncio mTLS channel to the hub at ``target`` (``host:port``).

    ``server_name`` overrides the name checked against the hub certificate, for a hub reached
    through an address its certificate does not name. A unary call the hub refuses for a quota is
    retried after the delay it names, for at most ``rate_limit_wait`` seconds (0: never retried).
    """
    options = list(CHANNEL_OPTIONS)
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    interceptors = [RateLimitRetry(rate_limit_wait)] if rate_limit_wait > 0 else None
    return grpc.aio.secure_channel(
        target, channel_credentials(identity), options=options, interceptors=interceptors
    )
