"""Unified social credit code (统一社会信用代码) validation per GB 32100-2015 and GB 11714.

Pure functions, no I/O. ``check(code)`` explains every fault it finds so the public USCC
utility can tell a person *why* a code is wrong, not just that it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from credit.regions import JIANGSU_CITIES, city_code_of

#: The 31-character alphabet of GB 32100 (no I, O, Z, S, V).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
_WEIGHTS_18 = [pow(3, i, 31) for i in range(17)]
_WEIGHTS_17 = [3, 7, 9, 10, 5, 8, 4, 2]

#: Position 1 (registration authority) + position 2 (entity type) for market regulation.
ENTITY_TYPES = {
    "91": "enterprise",
    "92": "individual_business",
    "93": "farmer_cooperative",
}
ENTITY_TYPE_LABELS = {
    "enterprise": "企业",
    "individual_business": "个体工商户",
    "farmer_cooperative": "农民专业合作社",
    "other": "其他组织",
}


@dataclass(frozen=True)
class Fault:
    """One reason a code is invalid: a stable code plus Chinese and English text."""

    code: str
    message: str
    message_en: str


@dataclass(frozen=True)
class UsccCheck:
    """The outcome of checking one code."""

    code: str
    valid: bool
    faults: list[Fault] = field(default_factory=list)
    entity_type: str | None = None
    division_code: str | None = None
    city_code: str | None = None
    in_jiangsu: bool = False


def gb11714_check_char(body: str) -> str:
    """Check character (position 17) for the 8-character organisation-code body.

    Values are digits and the full Latin alphabet (A=10 ... Z=35), unlike GB 32100.
    """
    total = 0
    for ch, w in zip(body, _WEIGHTS_17, strict=True):
        total += (int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10) * w
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def gb32100_check_char(first17: str) -> str:
    """Check character (position 18) over the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS_18, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    """Trim and upper-case; people paste codes with spaces and lower case."""
    return code.strip().upper()


def check(raw: str) -> UsccCheck:
    """Check a code against both standards and describe every fault found."""
    code = normalize(raw)
    faults: list[Fault] = []
    if len(code) != 18:
        faults.append(
            Fault(
                "length",
                f"长度应为 18 位，实际为 {len(code)} 位",
                f"must be 18 characters, got {len(code)}",
            )
        )
        return UsccCheck(code=code, valid=False, faults=faults)
    bad = sorted({c for c in code if c not in CHARSET})
    if bad:
        faults.append(
            Fault(
                "charset",
                f"含有不允许的字符：{''.join(bad)}",
                f"contains characters outside the GB 32100 set: {''.join(bad)}",
            )
        )
        return UsccCheck(code=code, valid=False, faults=faults)
    if gb11714_check_char(code[8:16]) != code[16]:
        faults.append(
            Fault(
                "check_17",
                "第 17 位（组织机构代码校验码）不正确",
                "position 17 (GB 11714 organisation-code check) is wrong",
            )
        )
    if gb32100_check_char(code[:17]) != code[17]:
        faults.append(
            Fault(
                "check_18",
                "第 18 位（校验码）不正确",
                "position 18 (GB 32100 check character) is wrong",
            )
        )
    division = code[2:8]
    city = city_code_of(division)
    return UsccCheck(
        code=code,
        valid=not faults,
        faults=faults,
        entity_type=ENTITY_TYPES.get(code[:2], "other"),
        division_code=division,
        city_code=city,
        in_jiangsu=city in JIANGSU_CITIES,
    )


def is_valid(code: str) -> bool:
    return check(code).valid


def complete(first16: str) -> str:
    """Append both check characters to a 16-character prefix (used by the demo generator)."""
    with_17 = first16 + gb11714_check_char(first16[8:16])
    return with_17 + gb32100_check_char(with_17)
