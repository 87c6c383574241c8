#!/usr/bin/python3
"""Accuracy-energy Pareto front of a cimmc study file (network rows) or task file (`cimmc infer -o`).

usage: scripts/pareto.py STUDY.h5 [-o front.png] [--x total_pj|pj_per_mac] [--y sqnr_db|sqnr_db_min]
       scripts/pareto.py TASK.h5 [-o front.png]   (x energy_nj_per_image, y top1 with its 95% CI)

Every hardware point is a dot; the Pareto-optimal ones (no other point has
both lower energy and higher accuracy) are joined and labelled with their
swept parameters. Needs Debian's python3-h5py and python3-matplotlib.
"""
import argparse

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def pareto(xs, ys):
    """Indices of points with minimal x and maximal y, sorted by x."""
    order = sorted(range(len(xs)), key=lambda i: (xs[i], -ys[i]))
    front, best = [], float("-inf")
    for i in order:
        if ys[i] > best:
            front.append(i)
            best = ys[i]
    return front


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study")
    ap.add_argument("-o", "--output", default="pareto.png")
    ap.add_argument("--x", help="column on the x axis (default pj_per_mac; task files energy_nj_per_image)")
    ap.add_argument("--y", help="column on the y axis (default sqnr_db; task files top1)")
    a = ap.parse_args()
    with h5py.File(a.study, "r") as f:
        kind = f.attrs["filetype"]
        if kind not in ("cimmc.study", "cimmc.task"):
            raise SystemExit(f"{a.study}: not a cimmc study or task file")
        task = kind == "cimmc.task"
        a.x = a.x or ("energy_nj_per_image" if task else "pj_per_mac")
        a.y = a.y or ("top1" if task else "sqnr_db")
        net = f["task" if task else "network"]
        keys = list(f.attrs["sweep_keys"]) if f.attrs["sweep_keys"].shape else []
        xs, ys = net[a.x][:], net[a.y][:]
        yerr = net["top1_ci_images"][:] if task and a.y == "top1" else None
        xunit, yunit = net[a.x].attrs["units"], net[a.y].attrs["units"]
        params = {k: (net[k].asstr()[:] if net[k].dtype.kind == "O" else net[k][:]) for k in keys}
        name = f.attrs["name"]
    front = pareto(list(xs), list(ys))
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.scatter(xs, ys, s=10, c="0.65", label=f"{len(xs)} hardware points")
    if yerr is not None:
        ax.errorbar(xs, ys, yerr=yerr, fmt="none", ecolor="0.75", lw=0.8, label="95% CI over images")
    ax.plot([xs[i] for i in front], [ys[i] for i in front], "o-", c="tab:red", ms=5, label="Pareto front")
    # Label every other front point (they crowd at the low-energy end).
    for n, i in enumerate(front):
        if n % 2 and n != len(front) - 1:
            continue
        label = ", ".join(f"{k.split('.')[-1]}={v[i]:g}" if not isinstance(v[i], str) else f"{k.split('.')[-1]}={v[i]}"
                          for k, v in params.items())
        ax.annotate(label, (xs[i], ys[i]), fontsize=6, xytext=(6, -3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel(f"{a.x} [{xunit}]")
    ax.set_ylabel(f"{a.y} [{yunit}]")
    ax.set_title(f"{name}: accuracy vs energy")
    ax.grid(True, which="both", lw=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(a.output, dpi=130)
    print(f"wrote {a.output}: {len(front)} Pareto points of {len(xs)}")


if __name__ == "__main__":
    main()
