"""The supervision loop (督办闭环): problems (问题清单, 一点一策), workflow and red/yellow cards,
evidence files, field inspections (巡查) and the monthly dispatch sheet (按月调度督办).

The rules (workflow, cards, evidence limits) are data in `geomon/rules/supervision.toml`
(`geomon.rules.supervision`); problems and inspections are ordinary layers
(`layers/problems.toml`, `layers/inspections.toml`) kept in the store with their history, and
evidence files are kept in the store beside their rows (`geomon.store.files`).
"""

from __future__ import annotations

from geomon.supervision.evidence import Evidence, check_evidence, check_files
from geomon.supervision.problems import (
    LIST_COLUMNS,
    add_problem,
    problem_from_alert,
    problem_from_overdue_outlet,
    problem_list,
    problem_record,
    steps_of,
    update_problem,
)

__all__ = [
    "LIST_COLUMNS",
    "Evidence",
    "add_problem",
    "check_evidence",
    "check_files",
    "problem_from_alert",
    "problem_from_overdue_outlet",
    "problem_list",
    "problem_record",
    "steps_of",
    "update_problem",
]
