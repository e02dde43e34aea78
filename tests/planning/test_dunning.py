"""Each customer's dunning stage from its age profile and segment."""

from __future__ import annotations

import pandas as pd

from cashplan.planning.dunning import customer_stages
from tests.planning.test_plan import AS_OF, HAND, RELIABILITY


def test_dunning_stage_from_age_profile_and_segment() -> None:
    inv = HAND.invoices
    rel = RELIABILITY.assign(reliability="unreliable")
    base = customer_stages(inv, AS_OF).set_index("customer_id")
    bumped = customer_stages(inv, AS_OF, rel).set_index("customer_id")
    assert base.loc["C1", "lever"] == "call" and bumped.loc["C1", "lever"] == "escalate"
    assert base.loc["C2", "tone"] == "firm" and bumped.loc["C2", "tone"] == "formal_notice"
    assert "C3" not in base.index and "C4" not in base.index  # promised, disputed
    key = pd.DataFrame({"company": "A", "customer_id": ["C1"], "segment": ["key_account"]})
    assert (
        customer_stages(inv, AS_OF, customers=key).set_index("customer_id").loc["C1", "lever"]
        == "sales_rep"
    )
    old = inv.assign(due_date=pd.Timestamp("2026-01-01"))
    stages = customer_stages(old, AS_OF, litigation_min=2_000.0).set_index("customer_id")
    assert stages.loc["C2", "lever"] == "litigation"  # 4,000 is worth it
    assert stages.loc["C1", "lever"] == "cut_off"  # 1,000 is not
