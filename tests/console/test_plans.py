"""Every filter of the violation list is served by an index walked in page order: no full
table scan, no sort. (Timings at a million rows: benchmarks/console_store.py.)"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Connection, select

from console.store import Scope, Store, ViolationFilter
from console.store import rows as rows_module
from console.store.queries import _before, _where
from console.store.tables import violations
from tests.console.helpers import T0, phase

FILTERS = {
    "all": (ViolationFilter(), Scope.all()),
    "one site": (ViolationFilter(), Scope.of(["plant-7"])),
    "inbox": (ViolationFilter(decision="unhandled"), Scope.all()),
    "inbox of a site": (ViolationFilter(decision="unhandled"), Scope.of(["plant-7"])),
    "camera": (ViolationFilter(site_id="plant-7", box_id="edge-01", camera_id="gate"),
               Scope.all()),
    "zone of a camera": (ViolationFilter(site_id="plant-7", box_id="edge-01",
                                         camera_id="gate", zone_id="z1"), Scope.all()),
    "zone": (ViolationFilter(zone_id="z1"), Scope.all()),
    "kind": (ViolationFilter(kind="seal"), Scope.all()),
    "decision": (ViolationFilter(decision="false_alarm"), Scope.all()),
    "period": (ViolationFilter(since_ts=T0, until_ts=T0 + 86400), Scope.all()),
}
# A scope of several sites (centre users) reads several ranges of the site index; SQLite
# cannot merge them in order, so it is checked on PostgreSQL only. A box has one site; with
# statistics at a million rows SQLite walks the decision or started index instead (see the
# benchmark's "inbox, 5 sites").
MULTI_SITE = {
    "three sites": (ViolationFilter(), Scope.of(["plant-7", "plant-8", "plant-9"])),
    "inbox of three sites": (ViolationFilter(decision="unhandled"),
                             Scope.of(["plant-7", "plant-8", "plant-9"])),
}


def _plan(conn: Connection, f: ViolationFilter, scope: Scope, paged: bool) -> str:
    v = violations.c
    stmt = select(*rows_module.VIOLATION_COLUMNS).where(*_where(f, scope))
    if paged:
        stmt = stmt.where(_before(T0 + 10, "v5"))
    stmt = stmt.order_by(v.started_ts.desc(), v.violation_id.desc()).limit(51)
    sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return "\n".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    # Small test tables make a sequential scan and a sort cheapest; forbidding both asks
    # whether an index can deliver the page order at all.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
    return "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))


@pytest.mark.parametrize("paged", [False, True], ids=["first page", "next page"])
def test_every_filter_walks_an_index_in_page_order(store: Store, paged: bool) -> None:
    store.ingest_many([phase(f"v{i}", "started", T0 + i) for i in range(20)])
    cases = {**FILTERS, **MULTI_SITE} if store.db.is_postgres else FILTERS
    for name, (f, scope) in cases.items():
        with store.db.read() as conn:
            plan = _plan(conn, f, scope, paged)
        if store.db.is_postgres:
            assert "Sort" not in plan and "Seq Scan" not in plan, (name, plan)
        else:
            # "SCAN violations USING INDEX ..." is an ordered index walk; bare is the table
            assert "TEMP B-TREE" not in plan, (name, plan)
            assert not re.search(r"SCAN violations$", plan, re.M), (name, plan)


def test_planner_statistics_are_refreshed_when_stale(db_url: str) -> None:
    with Store.open(db_url) as store:
        assert not store.optimize()  # empty: nothing worth analysing
        store.ingest_many([phase(f"v{i}", "started", T0 + i) for i in range(1500)])
        if store.db.is_postgres:  # autovacuum's job there
            assert not store.optimize(force=True)
            return
    with Store.open(db_url) as store:  # open refreshed them (1500 rows, none analysed)
        assert not store.optimize()
        with store.db.read() as conn:
            stat = conn.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_violations_started'").scalar()
        assert str(stat).split()[0] == "1500"
        assert store.optimize(force=True)
