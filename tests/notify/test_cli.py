"""`ml-connector zoho watch|channels|renew-channels` against the simulator over HTTP."""

from __future__ import annotations

from tests.zoho.test_cli import Served, served  # noqa: F401  (the served simulator fixture)

NOTIFY = "https://bridge.example.test/zoho/notify"


def test_watch_lists_and_renews_a_channel(served: Served) -> None:  # noqa: F811
    assert served.connect().exit_code == 0
    assert "no channels" in served.run("zoho", "channels").output

    opened = served.run("zoho", "watch", "--notify-url", NOTIFY)
    assert opened.exit_code == 0, opened.output
    assert "Accounts, Contacts, Deals, Products, Invoices" in opened.output
    [channel] = served.sim.channels
    assert channel["channel_id"] in opened.output and channel["notify_url"] == NOTIFY

    listed = served.run("zoho", "channels")
    assert channel["channel_id"] in listed.output and " live " in listed.output
    assert channel["token"] not in listed.output

    renewed = served.run("zoho", "renew-channels")
    assert renewed.exit_code == 0, renewed.output
    assert "renewed 0, re-opened 0, unchanged 1, failed 0" in renewed.output


def test_watch_refuses_a_notify_url_that_is_not_http(served: Served) -> None:  # noqa: F811
    assert served.connect().exit_code == 0
    result = served.run("zoho", "watch", "--notify-url", "ftp://bridge/zoho/notify")
    assert result.exit_code == 1 and "must be an http(s) URL" in result.output
    assert served.sim.channels == [] and "no channels" in served.run("zoho", "channels").output
