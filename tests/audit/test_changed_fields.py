"""`changed_fields`: only what differs is kept, with both sides, whatever the fields."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from optledger.core.audit import changed_fields, cli_actor

values = st.one_of(st.none(), st.text(max_size=5), st.booleans(), st.integers(0, 3))
fields = st.dictionaries(st.sampled_from(["name", "disclosure", "prompt", "status"]), values)


# No deadline: a first example on a loaded machine is no failure of the rule.
@settings(deadline=None)
@given(fields, fields)
def test_only_what_differs_is_kept_and_before_and_after_restore_each_side(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    changes = changed_fields(before, after)
    for name in set(before) | set(after):
        if before.get(name) == after.get(name):
            assert name not in changes
        else:
            assert changes[name] == {"before": before.get(name), "after": after.get(name)}
    assert changed_fields(after, after) == {}


def test_the_command_line_actor_names_the_os_user_and_no_address() -> None:
    actor = cli_actor("alice")
    assert (actor.name, actor.client_ip) == ("cli:alice", None)
    assert len(cli_actor("x" * 500).name) == 140
