"""Model tests, dbt style, declared in ``sql/models/marts/model_tests.ini`` beside the marts.

Each section is one test of one model, run on the model's candidate (the new build,
``<model>__next_YYYYMMDD``) before it replaces the live table, as a validation check
(``pipeline.validator``): its left side counts the rows that break the test, its right side is 0,
and its outcome is kept in ``validation_results``. A failing ``halt`` test stops the run and
leaves the live table as it was; a failing ``warn`` test is recorded and the build goes on.
Test kinds:

- ``unique``: ``column`` (or ``columns = a, b``) never repeats;
- ``not_null``: ``column`` (or ``columns``) is never NULL;
- ``accepted_values``: ``column`` only holds ``values = a, b, c`` (or NULL);
- ``relationships``: every non-NULL ``column`` occurs in ``to = model.column``;
- ``expression``: ``sql`` counts the rows that break a rule; ``{{ this }}`` is the model being
  tested and ``{{ ref('model') }}`` any other model, e.g. monthly distance = sum of its days.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline import model_registry
from pipeline.model_registry import ModelError, render_model_sql
from pipeline.sql_files import check_single_query
from pipeline.validator import Check, Side, check_severity

KINDS: tuple[str, ...] = ("unique", "not_null", "accepted_values", "relationships", "expression")
_KEYS = {"model", "test", "column", "columns", "values", "to", "sql", "severity", "description"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_VALUE = re.compile(r"^[A-Za-z0-9 _.-]{1,64}$")
_THIS = re.compile(r"\{\{\s*this\s*\}\}")


def tests_file() -> Path:
    """The model tests in force: beside the marts."""
    return model_registry.MODELS_DIR / "marts" / "model_tests.ini"


@dataclass(frozen=True)
class ModelTest:
    """One declared test of one model."""

    name: str
    model: str
    kind: str
    severity: str
    sql: str
    refs: tuple[str, ...]
    description: str = ""

    def check(self, table: str) -> Check:
        """The validation check of this test against ``table`` (the model's candidate)."""
        left = render_model_sql(_THIS.sub(table, self.sql))
        return Check(name=self.name, left=Side(label=f"model test {self.name}", sql=left),
                     right=Side(label="0", constant=0.0), operator="equals",
                     severity=self.severity, description=self.description)


def _list(text: str, what: str, pattern: re.Pattern[str]) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items or not all(pattern.match(item) for item in items):
        raise ModelError(f"{what} must be a comma-separated list of {pattern.pattern}")
    return items


def _sql(kind: str, section: configparser.SectionProxy) -> str:
    if kind == "expression":
        if "sql" not in section:
            raise ModelError("an expression test needs sql = a query counting broken rows")
        return " ".join(section["sql"].split())
    columns = _list(section.get("columns") or section.get("column", ""), "column(s)", _COLUMN)
    if kind == "unique":
        keys = ", ".join(columns)
        return (f"SELECT COUNT(*) FROM (SELECT {keys} FROM {{{{ this }}}} GROUP BY {keys}"
                " HAVING COUNT(*) > 1) AS repeated")
    if kind == "not_null":
        nulls = " OR ".join(f"{column} IS NULL" for column in columns)
        return f"SELECT COUNT(*) FROM {{{{ this }}}} WHERE {nulls}"
    (column,) = columns if len(columns) == 1 else (None,)
    if column is None:
        raise ModelError(f"a {kind} test takes one column")
    if kind == "accepted_values":
        values = _list(section.get("values", ""), "values", _VALUE)
        allowed = ", ".join("'" + value + "'" for value in values)
        return (f"SELECT COUNT(*) FROM {{{{ this }}}} WHERE {column} IS NOT NULL"
                f" AND {column} NOT IN ({allowed})")
    target = section.get("to", "").strip()
    if not re.match(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", target):
        raise ModelError("a relationships test needs to = model.column")
    other, other_column = target.split(".")
    return (f"SELECT COUNT(*) FROM {{{{ this }}}} AS child WHERE child.{column} IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {{{{ ref('{other}') }}}} AS parent"
            f" WHERE parent.{other_column} = child.{column})")


_LOADED: dict[Path, tuple[object, list[ModelTest]]] = {}


def load_model_tests(path: Path | None = None) -> list[ModelTest]:
    """Every test of the tests file, in file order; a one-line ModelError when one is wrong.
    Read again only when the file or a model file changed (issue 23: a run asks often)."""
    path = path or tests_file()
    if not path.is_file():
        return []
    stat = path.stat()
    signature = (stat.st_mtime_ns, stat.st_size, model_registry.files_signature())
    cached = _LOADED.get(path)
    if cached is None or cached[0] != signature:
        cached = (signature, _load_model_tests(path))
        _LOADED[path] = cached
    return list(cached[1])


def _load_model_tests(path: Path) -> list[ModelTest]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise ModelError(f"{path.name} is not valid INI: {str(error).splitlines()[0]}") from None
    models = model_registry.load_models()
    tests = []
    for name in parser.sections():
        section = parser[name]
        try:
            if not _NAME.match(name):
                raise ModelError("a test name is lowercase letters, digits and '_'")
            unknown = sorted(set(section) - _KEYS)
            if unknown:
                raise ModelError(f"unknown key {unknown[0]!r}")
            model, kind = section.get("model", "").strip(), section.get("test", "").strip()
            if model not in models:
                raise ModelError(f"model = {model!r} is no model")
            if models[model].materialized != "table":
                raise ModelError(f"{model} is a {models[model].materialized}; only table "
                                 "models are tested before they replace the live table")
            if kind not in KINDS:
                raise ModelError(f"test = {kind!r}; use one of {', '.join(KINDS)}")
            severity = check_severity(section.get("severity", "halt").strip())
            sql = check_single_query(_sql(kind, section), "sql")
            refs = model_registry.refs_in(sql)
            for ref in refs:
                if ref not in models:
                    raise ModelError(f"refs {ref!r}, which is no model")
            tests.append(ModelTest(name, model, kind, severity, sql, refs,
                                   " ".join(section.get("description", "").split())))
        except Exception as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ModelError(f"{path.name}, test [{name}]: {first}") from None
    return tests


def tests_of(model: str) -> list[ModelTest]:
    """The tests of one model."""
    return [test for test in load_model_tests() if test.model == model]
