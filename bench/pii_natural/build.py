"""Turns the hand-written natural PII rows (dev.txt, test.txt) into JSONL with exact offsets.

Each row of the .txt files is a header "### <id> <lang> <layout> [hard]" and the
text up to the next header (surrounding blank lines stripped). In the text,
"[[TYPE:value]]" marks a PII value and "{{value}}" a public figure's name in news
prose. Output rows: {"id", "lang", "layout", "hard_negative", "text",
"spans": [{"type", "start", "end", "text"}], "public_figures": [{"start", "end", "text"}]}.

Run: python bench/pii_natural/build.py   (writes dev.jsonl and test.jsonl beside this file)
"""
from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
_MARK = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]|\{\{(.+?)\}\}", re.S)


def parse(source: str) -> list[dict]:
    rows: list[dict] = []
    for block in re.split(r"^### ", source, flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        row_id, lang, layout, *flags = header.split()
        body = body.strip("\n")
        text_parts: list[str] = []
        spans: list[dict] = []
        figures: list[dict] = []
        pos = 0
        for m in _MARK.finditer(body):
            text_parts.append(body[pos:m.start()])
            start = sum(len(p) for p in text_parts)
            value = m.group(2) if m.group(1) else m.group(3)
            text_parts.append(value)
            item = {"start": start, "end": start + len(value), "text": value}
            if m.group(1):
                spans.append({"type": m.group(1), **item})
            else:
                figures.append(item)
            pos = m.end()
        text_parts.append(body[pos:])
        rows.append({"id": row_id, "lang": lang, "layout": layout, "hard_negative": layout == "hard" or "hard" in flags,
                     "text": "".join(text_parts), "spans": spans, "public_figures": figures})
    return rows


def main() -> None:
    for name in ("dev", "test"):
        rows = parse((HERE / f"{name}.txt").read_text(encoding="utf-8"))
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} rows, {sum(len(r['spans']) for r in rows)} PII values")


if __name__ == "__main__":
    main()
