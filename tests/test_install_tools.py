import pytest

from harness.system.install_tools import ChecksumMismatch, verify


def test_a_binary_that_does_not_match_its_pin_is_refused():
    with pytest.raises(ChecksumMismatch, match="expected 210d576a"):
        verify("helm", b"not helm")
