from grassroots.core.uscc import make_uscc, validate_uscc


def test_uscc_round_trip() -> None:
    code = make_uscc("5", "2", "310104", "MJ0000001")
    assert validate_uscc(code) == code
