"""The secrets scan that closes every stack test finds what it is meant to find."""

from __future__ import annotations

from local.stack import LOCAL_ADMIN_TOKEN, LocalStack
from tests.secrets_scan import leaks, secret_values


def test_the_scan_reports_a_secret_in_an_execution_history_or_a_log() -> None:
    with LocalStack() as stack:
        assert leaks(stack, "") == []
        stack.run(
            "StackCheckStateMachine", {"maxRecords": 1, "note": LOCAL_ADMIN_TOKEN}, name="leaky"
        )
        found = leaks(stack, f"log line with {secret_values(stack)['elevenlabs api key']}")
    assert any("admin token appears in the history" in p for p in found)
    assert any("elevenlabs api key appears in the captured logs" in p for p in found)


def test_the_template_holds_no_secret_values() -> None:
    from local.template import TEMPLATE_PATH

    text = TEMPLATE_PATH.read_text()
    with LocalStack(with_standins=False) as stack:
        for name, value in secret_values(stack).items():
            assert value not in text, name
    assert "SecretString:" not in text
    assert "PRIVATE KEY" not in text
