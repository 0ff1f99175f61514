"""Alerts on the demo store for 2023-06-30, against ``geomon stats`` for the same date.

Worked out from the demo ledger and results (data/README.md): three outlets have the deadline
2023-03-31 and are not rectified on 2023-06-30 (91 days overdue), and in June 2023 two sections
fail their target class III: JHGK05 (TP mean 0.086 > 0.05, a lake section) and JHSK08 (NH3-N
1.6 > 1.0, TP 0.205 > 0.2).
"""

from __future__ import annotations

from geomon import config
from geomon.analysis import stats
from geomon.monitoring import alerts
from geomon.store import open_store


def test_demo_alerts_match_stats_for_june_2023() -> None:
    store = open_store(config.DEMO_STORE, must_exist=True)
    found = alerts.store_alerts(store, as_of="2023-06-30")
    doc = stats.stats_json(store, period=("2023-06-01", "2023-06-30"), as_of="2023-06-30")

    overdue = [a for a in found if a.kind == "overdue"]
    assert len(overdue) == doc["outlets"]["total"]["overdue"] == 3
    assert sorted(a.feature_id for a in overdue) == sorted(
        o["code"] for o in doc["outlets"]["overdue"]
    )
    assert {a.value for a in overdue} == {91}

    failing = doc["sections"]["total"]["failing"]
    assert sorted(failing) == ["JHGK05", "JHSK08"]
    exceeded = {  # from the lab results: the month's mean against the target class
        (a.feature_id, a.parameter, a.value, a.limit)
        for a in found
        if a.kind == "exceedance" and a.detail == "monthly"
    }
    assert exceeded == {
        ("JHGK05", "TP", 0.086, 0.05),
        ("JHSK08", "NH3N", 1.6, 1.0),
        ("JHSK08", "TP", 0.205, 0.2),
    }
    assert {code for code, *_ in exceeded} == set(failing)


def test_demo_station_alerts_follow_the_planted_data() -> None:
    """data/README.md: JHSK08's station reads NH3-N around 1.5 mg/L all June (target Ⅲ, limit
    1.0): a run of 30 days from 2023-06-01; JHGK02's four hours above 1.0 on 2023-06-14 are no
    run of days; every station run is on a section that fails its target in June."""
    store = open_store(config.DEMO_STORE, must_exist=True)
    found = alerts.store_alerts(store, as_of="2023-06-30")

    runs = {(a.feature_id, a.parameter): a for a in found if a.kind == "persistent_exceedance"}
    nh3n = runs[("JHSK08", "NH3N")]
    assert (nh3n.value, nh3n.limit, nh3n.since) == (30, 1.0, "2023-06-01")
    assert ("JHGK02", "NH3N") not in runs
    assert {code for code, _ in runs} <= {"JHGK05", "JHSK08"}
