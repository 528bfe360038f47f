"""Date and number formats per language (settings.FORMAT_MODULE_PATH), over Django's own.

Dates read "2026年11月25日" in Chinese and "25 Nov 2026" in English; numbers are grouped by thousands
with a comma in both (amounts of money are formatted by the `cny` filter: ¥1,234,567.50).
Templates show a date with `{{ day|date }}` (the language's DATE_FORMAT), never with a fixed pattern.
"""
