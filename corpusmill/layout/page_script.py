"""Scans in a script the default recogniser was not trained on: found and read by Tesseract.

RapidOCR's bundled recogniser reads Latin scripts, Chinese and Japanese. A
Cyrillic, Greek, Arabic or Devanagari page still gets lines from it, but as
look-alike Latin letters ("aríoeca apa" for "Диагностическая карта"), with a
confidence lower than an upright Latin page of the same quality gets
(>= 0.98 on the dev scans; 0.90-0.93 on a Russian form). So a page read
with middling confidence has its script checked by Tesseract's
orientation-and-script detection (`--psm 0`, osd.traineddata: ~0.5 s a page);
a script the recogniser cannot read is read again by Tesseract in that
script's languages where their traineddata is installed (Debian's
`tesseract-ocr-<lang>`), with English beside them for the Latin that such
documents mix in. The new reading is kept only if most of its letters are in
that script: a Latin page the detector misjudged keeps its first reading.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from corpusmill.layout.ocr import TesseractEngine, tesseract_languages
from corpusmill.layout.ocr_lines import OcrError, OcrLine

# Page confidence (character-weighted) below which the script is checked.
CHECK_BELOW = 0.95
# Scripts the bundled recogniser reads (Tesseract OSD's names).
READABLE = frozenset(("Latin", "Han", "Japanese", "Katakana", "Hiragana"))
# Tesseract traineddata per script, most used language first; the first installed one is used.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "Cyrillic": ("rus", "ukr", "bul", "srp", "bel", "mkd"),
    "Greek": ("ell",),
    "Arabic": ("ara", "fas", "urd"),
    "Hebrew": ("heb",),
    "Devanagari": ("hin", "mar", "nep"),
    "Hangul": ("kor",),
    "Thai": ("tha",),
    "Armenian": ("hye",),
    "Georgian": ("kat",),
    "Bengali": ("ben",),
    "Tamil": ("tam",),
    # Blackletter: Latin letters in shapes the recogniser was not trained on (old German print).
    "Fraktur": ("frk", "deu_latf"),
}
# Letters of each script, to confirm that the new reading is in it.
_LETTERS: dict[str, str] = {
    "Cyrillic": "\u0400-\u052f", "Greek": "\u0370-\u03ff\u1f00-\u1fff", "Arabic": "\u0600-\u06ff\u0750-\u077f",
    "Hebrew": "\u0590-\u05ff", "Devanagari": "\u0900-\u097f", "Hangul": "\uac00-\ud7af\u1100-\u11ff",
    "Thai": "\u0e00-\u0e7f", "Armenian": "\u0530-\u058f", "Georgian": "\u10a0-\u10ff", "Bengali": "\u0980-\u09ff",
    "Tamil": "\u0b80-\u0bff",
}
# Share of the new reading's letters that must be in the detected script.
_MIN_SHARE = 0.5
_SCRIPT_LINE = re.compile(r"^Script: (\S+)", re.M)


@dataclass
class ScriptRead:
    script: str
    languages: str  # Tesseract's -l argument used ("" when the page was not read again)
    lines: list[OcrLine] | None  # the new reading; None when none was made or kept
    note: str  # for the page's route reason


def _installed() -> frozenset[str]:
    binary = shutil.which("tesseract")
    return tesseract_languages(binary) if binary else frozenset()


def detect_script(image: np.ndarray, dpi: int | None = None, timeout_s: float = 30.0) -> str | None:
    """Tesseract's guess at the page's script ("Latin", "Cyrillic", ...), None where it cannot tell."""
    binary = shutil.which("tesseract")
    if binary is None or "osd" not in _installed():
        return None
    import cv2

    ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        return None
    try:
        proc = subprocess.run([binary, "stdin", "stdout", "--psm", "0", *(["--dpi", str(dpi)] if dpi else [])], input=png.tobytes(), capture_output=True,
                              env={**os.environ, "OMP_THREAD_LIMIT": "1"}, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        return None
    # Too little text to judge is an error exit, not a guess.
    match = _SCRIPT_LINE.search(proc.stdout.decode("utf-8", errors="replace")) if proc.returncode == 0 else None
    return match.group(1) if match else None


def reread(image: np.ndarray, dpi: int | None) -> ScriptRead | None:
    """The page (rendered at `dpi`, None where unknown) read again by Tesseract when its script is one
    the bundled recogniser cannot read; None when the script is readable or cannot be told."""
    script = detect_script(image, dpi)
    if script is None or script in READABLE or script not in LANGUAGES:
        return None
    installed = _installed()
    language = next((code for code in LANGUAGES[script] if code in installed), None)
    if language is None:
        wanted = LANGUAGES[script][0].replace("_", "-")
        return ScriptRead(script, "", None, f"script {script}, which the OCR model cannot read: "
                                            f"install Debian's tesseract-ocr-{wanted} to read it")
    languages = language + ("+eng" if "eng" in installed else "")
    try:
        lines = TesseractEngine(languages=languages.split("+"), dpi=dpi).recognize(image)
    except OcrError as e:
        return ScriptRead(script, languages, None, f"script {script}; Tesseract failed ({e})")
    text = "".join(line.text for line in lines)
    letters = sum(ch.isalpha() for ch in text)
    in_script = len(re.findall(f"[{_LETTERS[script]}]", text)) if script in _LETTERS else letters
    if not letters or in_script < _MIN_SHARE * letters:
        return ScriptRead(script, languages, None, f"script {script} by detection, not confirmed by reading")
    return ScriptRead(script, languages, lines, f"script {script}, read by Tesseract ({languages})")
