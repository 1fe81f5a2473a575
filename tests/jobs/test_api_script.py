"""The README's Python API, run as a plain script (no `if __name__ == "__main__"` guard)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, read_out

DEMO = FIXTURES / "warc" / "demo.warc.gz"  # holds PDFs as well as HTML

SCRIPT = textwrap.dedent("""
    import sys
    from corpusmill.config import build_pipeline
    from corpusmill.job import JobSpec, run_job

    print("script body ran", flush=True)
    stats = run_job(JobSpec(reader="warc", inputs=[sys.argv[1]], out_dir=sys.argv[2],
                            pipeline=build_pipeline("warc", "fineweb"), workers=2))
    print("records out:", stats.output)
""")


def test_api_script_without_main_guard_runs_once_over_pdfs(tmp_path: Path) -> None:
    script = tmp_path / "make_corpus.py"
    script.write_text(SCRIPT)
    # Run from the script's folder, as a user would; corpusmill comes from the project root.
    r = subprocess.run([sys.executable, str(script), str(DEMO), "out"], cwd=tmp_path, capture_output=True,
                       text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    # The PDF parser's child process did not re-run the caller's module.
    assert r.stdout.count("script body ran") == 1, r.stdout
    assert "records out:" in r.stdout
    got = read_out(tmp_path / "out")
    parsed = [p for part in got.values() for rec in part for p in rec["provenance"]
              if p["stage"] == "pdf_parse" and p["action"] == "extracted"]
    assert parsed, "the demo WARC's PDFs were parsed in the child process"
