"""The ``cw`` command line: dispatch and help of every command."""

from __future__ import annotations

import pytest

from customer_warehouse.cli import FORWARDED, main


@pytest.mark.parametrize("command", sorted(FORWARDED))
def test_forwarded_command_prints_its_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: cw {command}" in capsys.readouterr().out


def test_top_level_help_lists_privacy(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "privacy" in capsys.readouterr().out


def test_unknown_command_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
