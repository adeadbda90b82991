"""统一社会信用代码 (GB 32100-2015): character set and check digit."""

from django.core.exceptions import ValidationError

# The code's alphabet leaves out I, O, Z, S and V (GB 32100-2015, 4.1).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> None:
    if len(value) != 18:
        raise ValidationError("统一社会信用代码应为18位，当前为%(n)d位。", params={"n": len(value)}, code="length")
    bad = sorted({ch for ch in value if ch not in ALPHABET})
    if bad:
        raise ValidationError(
            "统一社会信用代码含有不允许的字符：%(chars)s（只能为数字和除 I、O、Z、S、V 以外的大写字母）。",
            params={"chars": "、".join(bad)},
            code="charset",
        )
    if not value[2:8].isdigit():
        raise ValidationError("统一社会信用代码第3至8位应为行政区划代码（6位数字）。", code="division")
    expected = check_character(value[:17])
    if value[17] != expected:
        raise ValidationError("统一社会信用代码校验位不正确，请核对是否录入有误。", code="checksum")
