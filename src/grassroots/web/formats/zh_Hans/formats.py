"""Simplified Chinese: 2026年11月25日; numbers grouped by thousands with a comma (1,234,567), as financial
documents on the mainland write them (Django's default groups by ten thousand without a separator)."""

DATE_FORMAT = "Y年n月j日"  # 2026年11月25日
SHORT_DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"  # 11月25日
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
