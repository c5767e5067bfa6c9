"""template.yaml is a valid SAM template: cfn-lint (with the SAM transform) finds nothing."""

from __future__ import annotations

from pathlib import Path

from cfnlint.api import lint_file

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def test_template_passes_cfn_lint() -> None:
    problems = lint_file(TEMPLATE)
    assert [str(p) for p in problems] == []


def test_a_broken_template_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(
        TEMPLATE.read_text().replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE")
    )
    assert lint_file(broken), "cfn-lint must flag an invalid BillingMode"
