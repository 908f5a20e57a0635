"""The encrypted column types (`Encrypted`, `EncryptedJSON`) and how every value gets its place.

A value is encrypted bound to its place, (table, column, row id), as AES-GCM associated data (core/crypto.py), so
a ciphertext copied into another row or column does not decrypt there: reading it raises UnreadableValue instead
of giving another owner's data.

Writing: SQLAlchemy gives a type's process_bind_param the value only, not its row. So the value travels with its
place: `placed(value, table, column, row_id)` wraps it in a str, dict or list subclass that still is and compares as
the plain value. The ORM does it for every object it flushes (mapper events installed by `bind_places`, which also
give a new row its id before the insert); a Core insert or update of an encrypted column does it with `place_rows` /
`place_values`. A bare value given to an encrypted column is refused (UnplacedValue): nothing is ever written
without its place.

Reading: the types' column_expression selects the row's id with the value (`<row id>|<token>`), whatever the query
(an entity, one column, a join, an alias, a label), so a value is decrypted for the row it was read from and from
nothing the database could be told otherwise.

The row id is the table's primary key, or the column named in the table's info under ROW_KEY (the outbox: its
change_id, since its primary key `seq` is only known after the insert).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, TypeDecorator, event, inspect, literal_column, type_coerce
from sqlalchemy.orm import attributes
from sqlalchemy.sql.elements import Label

from core import crypto

ROW_KEY = "savepets_row_key"  # Table.info: the column naming a row in its values' place (default: the primary key)
LEGACY_READS = "savepets_legacy_reads"  # on an engine's dialect: v1 values (no place) may be read (db.py)
_SEP = "|"  # between the row id and the value in what an encrypted column's SELECT returns; never in a token


class UnplacedValue(ValueError):
    """An encrypted column was given a value without its place: a Core statement that needs place_rows."""


def registry_key(dialect):
    """The registry key (core/crypto.py) of the database a statement runs on: core.registry.db.Database puts it
    on its engine's dialect, so that two databases with different keys can be open in one process."""
    key = getattr(dialect, "savepets_key", None)
    if key is None:
        raise RuntimeError("this connection has no registry key: open the database with core.registry.db.Database")
    return key


def row_key(table: Table) -> str:
    """The name of the column whose value is a row's id in the places of its encrypted values."""
    if name := table.info.get(ROW_KEY):
        return name
    (pk,) = table.primary_key.columns
    return pk.name


# ------------------------------------------------------------------------------------------------ values with a place
class _Placed:
    """A plain value on its way into an encrypted column, with the place (the AAD) it is encrypted for."""

    _place: bytes
    _plain: Any


class PlacedStr(str, _Placed):
    pass


class PlacedDict(dict, _Placed):
    pass


class PlacedList(list, _Placed):
    pass


def placed(value: Any, table: str, column: str, row_id: Any) -> Any:
    """`value` bound for `column` of the row `row_id` of `table` (None stays None)."""
    if value is None:
        return None
    plain = value._plain if isinstance(value, _Placed) else value
    if row_id is None:
        raise UnplacedValue(f"{table}.{column}: an encrypted value is written with its row's id ({table}.{column} "
                            "has none yet)")
    for kind, wrapper in ((str, PlacedStr), (dict, PlacedDict), (list, PlacedList)):
        if isinstance(plain, kind):
            out = wrapper(plain)
            out._place, out._plain = crypto.place(table, column, row_id), plain
            return out
    raise TypeError(f"{table}.{column}: an encrypted value is a str, a dict or a list, not {type(plain).__name__}")


def _place_of(value: Any) -> bytes:
    place = getattr(value, "_place", None)
    if place is None:
        raise UnplacedValue("An encrypted column was given a value without its row and column: a Core insert or "
                            "update of an encrypted column passes its rows through core.registry.encrypted."
                            "place_rows (or place_values); the ORM does it by itself.")
    return place


def _column_default(col: Column) -> Any:
    d = col.default
    if d is None or not (d.is_scalar or d.is_callable):
        return None
    return d.arg(None) if d.is_callable else d.arg


def encrypted_columns(table: Table) -> list[Column]:
    return [c for c in table.columns if isinstance(c.type, Encrypted | EncryptedJSON)]


def place_rows(model_or_table: Any, rows: list[dict]) -> list[dict]:
    """Rows for a Core (or ORM bulk) insert into `model_or_table`, their encrypted values placed, and the defaults
    of encrypted columns they leave out filled in (placed too). Each row gives its id (`row_key`)."""
    table = getattr(model_or_table, "__table__", model_or_table)
    enc, key = encrypted_columns(table), row_key(table)
    out = []
    for r in rows:
        if key not in r:
            raise UnplacedValue(f"a row inserted into {table.name} gives its {key}: its encrypted values are "
                                "bound to it")
        values = {c.key: r[c.key] if c.key in r else _column_default(c) for c in enc}
        out.append({**r, **{k: placed(v, table.name, k, r[key]) for k, v in values.items()
                            if k in r or v is not None}})
    return out


def place_values(model_or_table: Any, row_id: Any, values: dict) -> dict:
    """`values` for a Core update of the one row `row_id`, its encrypted ones placed."""
    table = getattr(model_or_table, "__table__", model_or_table)
    enc = {c.key for c in encrypted_columns(table)}
    return {k: placed(v, table.name, k, row_id) if k in enc else v for k, v in values.items()}


# ------------------------------------------------------------------------------------------------ the column types
class _EncryptedType(TypeDecorator):
    """What both encrypted types share: reading a value with its row's id, and decrypting it for its place."""

    at: tuple[str, str] | None = None  # (table, column) of the value read: set on the copy column_expression makes

    def column_expression(self, colexpr):
        """`<row id>|<value>` instead of the value, read from the same row: the place it is decrypted for."""
        col = colexpr.element if isinstance(colexpr, Label) else colexpr
        stored = next((c for c in getattr(col, "proxy_set", ()) if isinstance(c, Column)
                       and isinstance(c.table, Table)), None)  # the table's column (through aliases, subqueries)
        try:
            key = col.table.c[row_key(stored.table)]
        except (AttributeError, KeyError, ValueError):
            return colexpr  # no row id to read it with: process_result_value refuses it
        at = self.copy()
        at.at = (stored.table.name, stored.name)
        return type_coerce(type_coerce(key, String) + literal_column(f"'{_SEP}'", String) + type_coerce(col, Text), at)

    def _open(self, value: Any, dialect) -> str | None:
        if isinstance(value, bytes | bytearray):
            value = bytes(value).decode("utf-8")
        if self.at is None or not isinstance(value, str) or _SEP not in value:
            raise crypto.UnreadableValue("An encrypted value was read without its row's id: select it from its "
                                         "table (its place, table, column and row, is part of the encryption).")
        row_id, token = value.rsplit(_SEP, 1)
        token = self._token(token)
        if token is None:
            return None
        return registry_key(dialect).decrypt(token, crypto.place(*self.at, row_id),
                                             legacy=bool(getattr(dialect, LEGACY_READS, False)))

    def _token(self, stored: str) -> str | None:
        return stored


class Encrypted(_EncryptedType):
    """Personal data: a string stored AES-256-GCM-encrypted with the registry key, bound to its place, read back as
    the string. The database sees only base64 ciphertext (a new random nonce each write), so it can neither search
    nor compare it: owners are found by `Owner.phone_hash`."""

    impl = Text
    cache_ok = True  # read from each class itself, not inherited

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return registry_key(dialect).encrypt(str(value), _place_of(value))

    def process_result_value(self, value, dialect):
        return None if value is None else self._open(value, dialect)


class EncryptedJSON(_EncryptedType):
    """JSON that may hold personal data (sync shadows, outbox payloads): encrypted as a whole, stored as one
    JSON string (so a MariaDB JSON column's json_valid check still holds)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        place = _place_of(value)
        return registry_key(dialect).encrypt(json.dumps(value._plain, ensure_ascii=False, separators=(",", ":")),
                                             place)

    def result_processor(self, dialect, coltype):
        """Not the JSON type's own parsing: what is read is `<row id>|<the stored JSON string>`."""
        def process(value):
            if value is None:
                return None
            text = self._open(value, dialect)
            return None if text is None else json.loads(text)

        return process

    def _token(self, stored: str) -> str | None:
        return json.loads(stored)  # the stored JSON: a string (the token), or null


# ------------------------------------------------------------------------------------------------ ORM writes
@cache
def _mapped(mapper) -> tuple[str, str, Column, list[tuple[str, Column]]] | None:
    """(table, the row id's attribute, its column, [(attribute, column)] encrypted) of a mapper; None if none."""
    table = mapper.local_table
    enc = encrypted_columns(table) if isinstance(table, Table) else []
    if not enc:
        return None
    keycol = table.c[row_key(table)]
    return (table.name, mapper.get_property_by_column(keycol).key, keycol,
            [(mapper.get_property_by_column(c).key, c) for c in enc])


def _place_insert(mapper, _connection, target) -> None:
    if (m := _mapped(mapper)) is None:
        return
    table, key_attr, keycol, enc = m
    d = inspect(target).dict
    row_id = d.get(key_attr)
    if row_id is None:  # the id its column's default would give at the insert, given now: the values need it
        row_id = _column_default(keycol)
        setattr(target, key_attr, row_id)
    for attr, col in enc:
        value = d[attr] if attr in d else _column_default(col)
        if attr in d or value is not None:
            d[attr] = placed(value, table, col.name, row_id)


def _place_update(mapper, _connection, target) -> None:
    if (m := _mapped(mapper)) is None:
        return
    table, key_attr, _keycol, enc = m
    state = inspect(target)
    rekeyed = key_attr in state.committed_state  # the row's id changes: every value moves with it
    row_id = getattr(target, key_attr)
    for attr, col in enc:
        if rekeyed and attr not in state.committed_state:
            getattr(target, attr)  # loaded, then written again under the new id
            attributes.flag_modified(target, attr)
        if attr in state.committed_state and attr in state.dict:
            state.dict[attr] = placed(state.dict[attr], table, col.name, row_id)


def _unwrap(mapper, _connection, target) -> None:
    """After the statement: the plain values back in the object (the wrappers were for the statement only)."""
    if (m := _mapped(mapper)) is None:
        return
    d = inspect(target).dict
    for attr, _col in m[3]:
        if isinstance(v := d.get(attr), _Placed):
            d[attr] = v._plain


def bind_places(base) -> None:
    """Every ORM insert and update of a model of `base` places its encrypted values."""
    event.listen(base, "before_insert", _place_insert, propagate=True)
    event.listen(base, "before_update", _place_update, propagate=True)
    event.listen(base, "after_insert", _unwrap, propagate=True)
    event.listen(base, "after_update", _unwrap, propagate=True)
