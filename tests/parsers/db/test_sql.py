"""The light SQL scanner: statement verb and table names."""

from __future__ import annotations

import polars as pl
import pytest

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
