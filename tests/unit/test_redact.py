"""core/redact.py: credentials never in a file, a label or a log line."""

from envbuild.core.redact import redact_text, register_secret, strip_credentials


def test_redaction_of_free_text():
    assert redact_text("Failed to fetch https://tok:pw@h.example/simple/x/") == "Failed to fetch https://***@h.example/simple/x/"
    assert strip_credentials("https://h.example/simple") == "https://h.example/simple"


def test_literal_userinfo_is_stripped_but_env_references_stay():
    assert strip_credentials("https://user:pw@mirror.corp/simple") == "https://mirror.corp/simple"
    assert strip_credentials("https://${USER}:${TOKEN}@mirror.corp/simple") == "https://${USER}:${TOKEN}@mirror.corp/simple"


def test_a_registered_value_is_redacted_wherever_it_stands():
    register_secret("tok-in-path-1234")
    assert redact_text("GET /t/tok-in-path-1234/simple failed") == "GET /t/***/simple failed"
    register_secret("on")  # too short to tell from ordinary words: left alone
    assert redact_text("connection refused") == "connection refused"
