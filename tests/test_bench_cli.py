"""``python -m bench``: a mistyped scenario or count is a clear usage error that runs nothing."""

from __future__ import annotations

import sys

import pytest


@pytest.mark.parametrize(("argv", "said"), [
    (["adaptrs"], "unknown scenario 'adaptrs'; choose from envelope_rates,"),
    (["adapters", "--count", "0"], "--count must be at least 1, got 0"),
])
def test_bad_arguments_are_named_and_nothing_runs(argv: list[str], said: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from bench import __main__ as cli

    ran: list[object] = []
    monkeypatch.setattr(cli, "SCENARIOS", dict.fromkeys(cli.SCENARIOS, ran.append))
    monkeypatch.setattr(sys, "argv", ["python -m bench", *argv])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
    assert ran == []
