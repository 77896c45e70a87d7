"""The SQL models, read from their files: ``sql/models/staging/`` and ``sql/models/marts/``.

A model is one ``.sql`` file holding one SELECT; its name is the file's stem and the table (or
view) it builds. A model names the models it reads as ``{{ ref('stg_activities') }}``, and only
staging models read the production table (``{production_table}``): marts select over refs only.
The refs give the build order, so nothing lists models by hand: adding a model is adding a file.
An optional first line ``{{ config(materialized='...') }}`` says how it is built:

- ``table`` (the default): built aside as its candidate ``<name>__next_YYYYMMDD``, tested, then
  swapped in;
- ``view``: ``CREATE OR REPLACE VIEW`` (for models that read no table that migrations may alter);
- ``incremental``: the SELECT yields the rows of one run date (a ``run_date`` column); a build
  replaces that date's rows and keeps every other date's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from pipeline.settings import ConfigurationError
from pipeline.sql_files import (
    SQL_DIR,
    check_identifier,
    include_fragments,
    parameter_names,
    read_sql,
    render,
)

MODELS_DIR = SQL_DIR / "models"
LAYERS: tuple[str, ...] = ("staging", "marts")
MATERIALIZATIONS: tuple[str, ...] = ("table", "view", "incremental")
CANDIDATE_SUFFIX = "__next"  # <name>__next_YYYYMMDD: the new build, before its tests

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,46}$")  # + "__next_YYYYMMDD" <= 63 characters
_CONFIG = re.compile(r"\{\{\s*config\(\s*materialized\s*=\s*'([^']*)'\s*\)\s*\}\}[ \t]*\n?")
_REF = re.compile(r"\{\{\s*ref\(\s*'([^']*)'\s*\)\s*\}\}")
_ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)
_PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


class ModelError(ConfigurationError):
    """A model file is wrong: unknown ref, a cycle, a mart reading production, a bad config."""


@dataclass(frozen=True)
class Model:
    """One model file."""

    name: str
    layer: str
    path: Path
    materialized: str
    refs: tuple[str, ...]
    text: str

    @property
    def label(self) -> str:
        """The file as people name it: sql/models/marts/<name>.sql."""
        return f"sql/models/{self.layer}/{self.path.name}"

    def candidate_table(self, run_date: date) -> str:
        """The candidate: where a run date builds and tests a ``table`` model before it replaces
        the live table, ``<name>__next_YYYYMMDD`` (two dates building at once never share it)."""
        return check_identifier(f"{self.name}{CANDIDATE_SUFFIX}_{run_date:%Y%m%d}")

    def select(self) -> str:
        """The SELECT with refs and table names filled in, ready to run."""
        return render_model_sql(self.text)

    def parameters(self) -> list[str]:
        """The ``:name`` parameters the SELECT binds."""
        return sorted(set(parameter_names(self.select())))


def refs_in(text: str) -> tuple[str, ...]:
    """The models a SQL text names as ``{{ ref('name') }}``, each once, in order."""
    return tuple(dict.fromkeys(_REF.findall(text)))


def render_model_sql(text: str) -> str:
    """Model SQL with its config line dropped, refs as table names and placeholders filled."""
    body = include_fragments(_CONFIG.sub("", text, count=1))  # e.g. the week: week_start
    body = _REF.sub(lambda match: check_identifier(match.group(1)), body)
    left = _ANY_TEMPLATE.search(body)
    if left:
        raise ModelError(f"unknown template {left.group(0)!r}: use {{{{ ref('model') }}}} or "
                         "{{{{ fragment('name') }}}}")
    return render(body).rstrip().rstrip(";")


def _read(path: Path, layer: str) -> Model:
    name = path.stem
    where = f"sql/models/{layer}/{path.name}"
    if not _NAME.match(name):
        raise ModelError(f"{where}: a model name is lowercase letters, digits and '_'")
    text = path.read_text(encoding="utf-8")
    configs = _CONFIG.findall(text)
    materialized = configs[0] if configs else "table"
    if materialized not in MATERIALIZATIONS:
        raise ModelError(f"{where}: materialized={materialized!r}; use one of "
                         + ", ".join(MATERIALIZATIONS))
    refs = refs_in(text)
    if layer == "marts" and _PLACEHOLDER.search(_REF.sub("", text)):
        raise ModelError(f"{where}: a mart selects over refs only; read production through a "
                         "staging model ({{ ref('stg_activities') }})")
    model = Model(name, layer, path, materialized, refs, text)
    try:
        params = model.parameters()
    except (KeyError, ValueError) as error:
        raise ModelError(f"{where}: {error}") from None
    if materialized == "view" and params:
        raise ModelError(f"{where}: a view cannot bind :{params[0]}; make it a table")
    return model


# Models read per folder, with the files' (path, mtime, size) they were read from: a run's task
# graph asks for them hundreds of times (issue 23: 2 s of a rerun); a changed file is read again.
_LOADED: dict[Path, tuple[tuple[tuple[str, int, int], ...], dict[str, Model]]] = {}


def files_signature(folder: Path | None = None) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every model file: what a cached read depends on."""
    folder = folder or MODELS_DIR
    found = []
    for layer in LAYERS:
        try:
            entries = list(os.scandir(folder / layer))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.name.endswith(".sql"):
                stat = entry.stat()
                found.append((entry.path, stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(found))


def load_models(folder: Path | None = None) -> dict[str, Model]:
    """Every model, in build order (each after the models it refs); read again only when a
    model file changed, was added or removed."""
    folder = folder or MODELS_DIR
    signature = files_signature(folder)
    cached = _LOADED.get(folder)
    if cached is None or cached[0] != signature:
        cached = (signature, _load_models(folder))
        _LOADED[folder] = cached
    return dict(cached[1])


def _load_models(folder: Path) -> dict[str, Model]:
    found: dict[str, Model] = {}
    for layer in LAYERS:
        for path in sorted((folder / layer).glob("*.sql")):
            model = _read(path, layer)
            if model.name in found:
                raise ModelError(f"two models are named {model.name}: {found[model.name].label} "
                                 f"and {model.label}")
            found[model.name] = model
    for model in found.values():
        for ref in model.refs:
            if ref not in found:
                raise ModelError(f"{model.label} refs {ref!r}, which is no model: add "
                                 f"sql/models/staging/{ref}.sql or fix the name")
    try:
        order = list(TopologicalSorter({m.name: m.refs for m in found.values()}).static_order())
    except CycleError as error:
        raise ModelError(f"models ref each other in a circle: {' -> '.join(error.args[1])}"
                         ) from None
    return {name: found[name] for name in order}


def model(name: str) -> Model:
    """One model by name; a one-line error naming the known ones otherwise."""
    models = load_models()
    if name not in models:
        raise ModelError(f"no model named {name!r}: use one of {', '.join(models)}")
    return models[name]


def mart_names() -> list[str]:
    """The marts (the tables people read), in build order."""
    return [m.name for m in load_models().values() if m.layer == "marts"]


def reader_sql(relative_path: str) -> str:
    """A reader's query (``sql/dashboard/*.sql``) ready to run. Readers take activity data from
    the marts only, named as ``{{ ref('activity_log') }}``; production is not theirs to read."""
    text = read_sql(relative_path)
    marts = mart_names()
    for name in refs_in(text):
        if name not in marts:
            raise ModelError(f"sql/{relative_path} refs {name!r}, which is no mart: read one of "
                             + ", ".join(marts))
    if "{production_table}" in text:
        raise ModelError(f"sql/{relative_path} reads production: read a mart instead, e.g. "
                         "{{ ref('activity_log') }}")
    return render_model_sql(text)
