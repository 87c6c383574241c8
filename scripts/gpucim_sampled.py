#!/usr/bin/python3
"""Issue 15 part 3, first look (README "CiM in a GPU's memory hierarchy"): the
WWW analog 6T primitive as a sampled cimmc macro
(configs/gpu-cim-rf-analog6t-macro.yaml) under three operand distributions --
the config's own (ReLU-normal inputs, normal weights), uniform ones, and
ResNet-18 layer 05's CiMLoop histograms -- against the paper's fixed 0.15 pJ
per MAC. Each variant replaces `workload.defaults` in a temporary copy, runs
`cimmc run` (sampled) and prints the macro energy per MAC over all GEMMs, by
component, from the file's /layers table.

  scripts/gpucim_sampled.py [--cimmc build/cimmc] [--threads 1]
"""
import argparse
import pathlib
import subprocess
import tempfile

import h5py

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "gpu-cim-rf-analog6t-macro.yaml"
HIST = ROOT / "data" / "cimloop_workloads" / "resnet18" / "05.yaml"
INPUTS = "    inputs: {bits: 8, signed: false, distribution: {kind: relu_normal, std: 1.0, zero_fraction: 0.5}}"
WEIGHTS = "    weights: {bits: 8, signed: true, distribution: {kind: normal, std: 0.05}}"
VARIANTS = {
    "config (ReLU-normal, normal)": (INPUTS, WEIGHTS),
    "uniform": ("    inputs: {bits: 8, signed: false, distribution: {kind: uniform, low: 0, high: 1}}",
                "    weights: {bits: 8, signed: true, distribution: {kind: uniform, low: -1, high: 1}}"),
    "CiMLoop ResNet-18 05": (
        f"    inputs: {{bits: 8, signed: false, distribution: {{kind: histogram, file: {HIST}, tensor: Inputs}}}}",
        f"    weights: {{bits: 8, signed: true, distribution: {{kind: histogram, file: {HIST}, tensor: Weights}}}}"),
}
COMPONENTS = ["dac", "row_driver", "cell", "column", "adc", "shift_add", "accumulator", "leakage"]
PAPER_PJ_PER_MAC = 0.15  # REFERENCES.md: WWW analog 6T


def run(cimmc, threads, inputs, weights, tmp):
    text = CONFIG.read_text()
    assert INPUTS in text and WEIGHTS in text, CONFIG
    cfg, out = pathlib.Path(tmp) / "v.yaml", pathlib.Path(tmp) / "v.h5"
    cfg.write_text(text.replace(INPUTS, inputs).replace(WEIGHTS, weights))
    out.unlink(missing_ok=True)
    subprocess.run([cimmc, "run", str(cfg), "--threads", str(threads), "-o", str(out)], check=True,
                   capture_output=True)
    layers = h5py.File(out)["layers"]
    macs = layers["macs"][:].sum()
    return {c: layers[f"{c}_pj"][:].sum() / macs for c in COMPONENTS}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cimmc", default=str(ROOT / "build" / "cimmc"))
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    print("| operands | macro pJ/MAC | " + " | ".join(COMPONENTS) + " | / paper's 0.15 |")
    print("|---|---|" + "---|" * len(COMPONENTS) + "---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (inputs, weights) in VARIANTS.items():
            pj = run(a.cimmc, a.threads, inputs, weights, tmp)
            total = sum(pj.values())
            print(f"| {name} | {total:.4f} | " + " | ".join(f"{pj[c]:.4f}" for c in COMPONENTS) +
                  f" | {total / PAPER_PJ_PER_MAC:.2f} |")


if __name__ == "__main__":
    main()
