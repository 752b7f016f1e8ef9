"""Hub settings: flags, then ``PXHUB_*`` environment variables, then a TOML file.

One place reads configuration so the CLI, the demo and the tests build the
hub the same way.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


def host_and_port(value: str, example: str) -> str:
    """``host:port`` (``[v6]:port`` for IPv6), the port 0 to 65535: a typo fails here, in one line."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT with a port from 0 to 65535 (e.g. {example})")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(f"{value!r}: write an IPv6 host in brackets, e.g. [::1]:{port}")
    return value


class HubSettings(BaseSettings):
    """Everything ``pxhub serve`` can be told."""

    model_config = SettingsConfigDict(env_prefix="PXHUB_", extra="forbid")

    federation_dir: Path = Field(DEFAULT_DATA_DIR / "federation", description="Output of `pxhub pki init`.")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite file under data_dir.")
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where the default SQLite file lives.")
    listen: str = Field("127.0.0.1:50051", description="host:port to listen on (port 0 = any free port).")
    metrics_listen: str = Field(
        "",
        description="host:port of the plain-HTTP listener for /metrics, /healthz and /readyz (a bare "
        "port means 127.0.0.1:port); empty = no listener.",
    )
    max_envelope_bytes: int = Field(1_048_576, ge=1024, description="Largest envelope accepted.")
    max_message_bytes: int = Field(16 * 1_048_576, ge=65_536, description="Largest gRPC message.")
    clock_skew_seconds: int = Field(300, ge=0, description="Allowed distance of created_at from hub time.")
    retention_seconds: int = Field(
        86_400, ge=0, description="Keep ciphertext this long after every recipient acknowledged."
    )
    purge_interval_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the hub purges acknowledged ciphertext past the retention and "
        "undelivered ciphertext past its review-or-delete date.",
    )
    expiry_warning_days: int = Field(
        30,
        ge=0,
        description="Log a warning this many days before the policy, an agreement, a member's key or "
        "certificate ends (checked at start and every expiry_check_seconds; `pxhub members` too).",
    )
    expiry_check_seconds: float = Field(21_600.0, gt=0, description="How often endings are looked for.")
    follow_poll_seconds: float = Field(
        0.5,
        gt=0,
        description="A following Fetch re-reads the mailbox this often when no local arrival woke it "
        "(mail accepted by another replica).",
    )
    checkpoint_interval_seconds: float = Field(
        2.0, gt=0, description="How often the hub signs a new audit-log checkpoint when the log grew."
    )
    member_envelopes_per_second: float = Field(
        2_000.0, gt=0, description="Token-bucket rate of envelopes one member may submit (per hub process)."
    )
    member_envelope_burst: int = Field(20_000, ge=1, description="Token-bucket size: the largest burst.")
    member_calls_per_second: float = Field(
        200.0,
        gt=0,
        description="Token-bucket rate of RPCs (and Submit request messages) one caller may make.",
    )
    member_call_burst: int = Field(1_000, ge=1, description="Calls in one burst.")
    member_receipts_per_second: float = Field(
        2_000.0,
        gt=0,
        description="Token-bucket rate of acknowledgements and deletion attestations one member may hand in.",
    )
    member_receipt_burst: int = Field(20_000, ge=1, description="Receipts (acks, attestations) in one burst.")
    member_lookup_tokens_per_second: float = Field(
        10.0, gt=0, description="Token-bucket rate of lookup tokens one member may ask with (per process)."
    )
    member_lookup_token_burst: int = Field(
        1_000, ge=1, description="Lookup tokens in one burst (as many as one lookup may carry)."
    )
    request_sweep_seconds: float = Field(
        30.0, gt=0, description="How often the hub marks requests past their deadline overdue."
    )
    member_max_streams: int = Field(
        64, ge=1, description="Concurrent Submit, Fetch and ListEntries streams one caller may hold open."
    )
    stream_idle_seconds: float = Field(
        60.0, gt=0, description="A Submit stream that sends nothing for this long is closed."
    )
    log_format: str = Field("console", pattern="^(console|json)$", description="console or json.")
    log_level: str = Field("info", description="debug, info, warning or error.")

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        return host_and_port(value, "127.0.0.1:50051")

    @field_validator("metrics_listen")
    @classmethod
    def _metrics_host_and_port(cls, value: str) -> str:
        if not value:
            return value
        return host_and_port(f"127.0.0.1:{value}" if value.isdigit() else value, "127.0.0.1:9464")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pxhub.db').resolve()}"

    @property
    def retention(self) -> timedelta:
        return timedelta(seconds=self.retention_seconds)

    @classmethod
    def load(cls, toml_path: Path | None = None, **overrides: Any) -> HubSettings:
        """Merge a TOML file (section ``[hub]`` or top level) under env vars and flags."""
        file_values: dict[str, Any] = {}
        if toml_path is not None:
            with toml_path.open("rb") as handle:
                data = tomllib.load(handle)
            file_values = dict(data.get("hub", data))
        env_values = cls().model_dump(exclude_unset=True)
        merged = {**file_values, **env_values, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(**merged)
