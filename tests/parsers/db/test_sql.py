"""The light SQL scanner: statement verb and table names."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.db.sql import sql_operation, sql_tables

CASES = [
    ("SELECT patients.patient_id FROM patients LEFT JOIN sejour ON sejour.patient_id = patients.patient_id",
     "SELECT", ["patients", "sejour"]),
    ("SELECT * FROM `mediboard`.`patients` WHERE (`patient_id` IN ('31877','31880'", "SELECT", ["patients"]),
    ("SELECT `patients`.* FROM `patients` ORDER BY `patients`.`patient_id` LIMIT 61300, 100", "SELECT", ["patients"]),
    ("select * from t JOIN u ON 1 join v using (id)", "SELECT", ["t", "u", "v"]),
    ("SELECT a FROM t1 x, `t2` AS y, t3 WHERE 1", "SELECT", ["t1", "t2", "t3"]),
    ("UPDATE users SET a = 1, b = 2 WHERE user_id = 1377", "UPDATE", ["users"]),
    ("INSERT INTO user_log (user_id, date) VALUES (1, NOW()), (2, NOW())", "INSERT", ["user_log"]),
    ("DELETE FROM sejour WHERE sejour_id = 4", "DELETE", ["sejour"]),
    ("drop table renamed_t1, t2", "DROP", ["renamed_t1", "t2"]),
    ("DROP TABLE IF EXISTS foo", "DROP", ["foo"]),
    ("CREATE TABLE IF NOT EXISTS `archive`.`patients_2019` (id INT)", "CREATE", ["patients_2019"]),
    ("TRUNCATE TABLE user_log", "TRUNCATE", ["user_log"]),
    ("LOCK TABLES a READ, b WRITE", "LOCK", ["a", "b"]),
    ("SELECT 1 INTO OUTFILE '/tmp/x.csv' FROM patients", "SELECT", ["patients"]),
    ("SHOW TABLES LIKE 'pat%'", "SHOW", []),
    ("SELECT /*!40001 SQL_NO_CACHE */ * FROM `patients`", "SELECT", ["patients"]),
    ("/*!40101 SET NAMES utf8 */", "SET", []),
    ("/* loadIds */ SELECT 2", "SELECT", []),
    ("(select 2)", "SELECT", []),
    ("-- comment\nSELECT 1 FROM z", "SELECT", ["z"]),
    ("SELECT * FROM patients p, patients q", "SELECT", ["patients"]),
    ('SELECT * FROM "public"."Patients"', "SELECT", ["Patients"]),
    ("SELECT nom FROM patients WHERE nom = 'Lévêque'", "SELECT", ["patients"]),
    ("SET NAMES latin1", "SET", []),
    ("COPY public.patients (patient_id, nom) TO stdout", "COPY", []),
    # three or more targets, one of them not a table (these raised ShapeError and cost a chunk)
    ("SELECT * FROM a JOIN b ON true JOIN unnest(x) u ON true", "SELECT", ["a", "b"]),
    ("SELECT 1 FROM staff UNION ALL SELECT table_name FROM information_schema.tables UNION ALL SELECT 1 FROM DUAL",
     "SELECT", ["staff", "tables"]),
    ("SELECT * FROM a, LATERAL (SELECT 1) x JOIN c ON true JOIN d ON true", "SELECT", ["a", "c", "d"]),
    ("SELECT * INTO OUTFILE '/tmp/o.csv' FROM a JOIN b ON true JOIN c ON true", "SELECT", ["a", "b", "c"]),
    ("SELECT 1 FROM DUAL JOIN DUAL JOIN DUAL", "SELECT", []),
]  # fmt: skip


@pytest.mark.parametrize(("query", "operation", "tables"), CASES)
def test_operation_and_tables(query: str, operation: str, tables: list[str]) -> None:
    row = pl.select(op=sql_operation(pl.lit(query)), tables=sql_tables(pl.lit(query))).row(0, named=True)
    assert row["op"] == operation
    assert row["tables"] == tables


def test_null_and_empty() -> None:
    df = pl.DataFrame({"q": [None, "", "   "]}, schema={"q": pl.String})
    out = df.select(op=sql_operation(pl.col("q")), tables=sql_tables(pl.col("q")))
    assert out.get_column("op").to_list() == [None, None, None]
    assert out.get_column("tables").to_list() == [None, [], []]


def test_mixed_batch_keeps_every_row() -> None:
    """A statement that names a non-table among several targets does not disturb its neighbours."""
    queries = [q for q, _, _ in CASES]
    out = pl.DataFrame({"q": queries}).select(sql_tables(pl.col("q"))).to_series().to_list()
    assert out == [t for _, _, t in CASES]


_TOKENS = st.sampled_from(
    [*"ab(),;.`\"' \n", "FROM ", "JOIN ", "INTO ", "UPDATE ", "TABLE ", "DUAL ", "LATERAL ", "unnest(x) ",
     "OUTFILE ", "SELECT ", "ON true ", "x "]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_TOKENS, max_size=30).map("".join), min_size=1, max_size=8))
def test_never_raises(queries: list[str]) -> None:
    """Whatever the text, the scanner returns one list per statement and never raises."""
    out = pl.DataFrame({"q": queries}).select(sql_operation(pl.col("q")), sql_tables(pl.col("q")).alias("t"))
    assert out.height == len(queries)
    assert all(isinstance(t, list) for t in out.get_column("t").to_list())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_never_raises_on_any_text(queries: list[str]) -> None:
    out = pl.DataFrame({"q": queries}, schema={"q": pl.String}).select(sql_tables(pl.col("q")).alias("t"))
    assert out.height == len(queries)
