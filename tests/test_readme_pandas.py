#!/usr/bin/python3
"""Runs the README's pandas snippet on the stored regression study file and
checks the types it gives back: swept integers as int64, strings as str.

usage: tests/test_readme_pandas.py SOURCE_DIR   (a ctest; exits 1 on failure)
"""
import re
import sys
from pathlib import Path


def main():
    src = Path(sys.argv[1])
    readme = (src / "README.md").read_text()
    m = re.search(r"Reading the results with pandas.*?```python\n(.*?)```", readme, re.S)
    if not m:
        sys.exit("README: no pandas snippet after 'Reading the results with pandas'")
    code = m.group(1).replace('"sweep.h5"', repr(str(src / "tests/regression/study.h5")))
    # The snippet's last line prints columns the ResNet-18 sweep has; the
    # regression study sweeps macro.adc.bits only.
    code = code.replace('"macro.adc.bits", "macro.rows", ', '"macro.adc.bits", ')
    scope = {}
    exec(compile(code, "README.md snippet", "exec"), scope)
    net = scope["net"]
    problems = []
    if str(net["macro.adc.bits"].dtype) != "int64":
        problems.append(f"macro.adc.bits is {net['macro.adc.bits'].dtype}, not int64")
    if not all(isinstance(v, str) for v in net["model"]):
        problems.append(f"model holds {type(net['model'][0]).__name__}, not str")
    if sorted(net["macro.adc.bits"]) != [5, 7]:
        problems.append(f"macro.adc.bits values {list(net['macro.adc.bits'])}")
    if problems:
        sys.exit("; ".join(problems))


if __name__ == "__main__":
    main()
