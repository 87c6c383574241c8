#!/usr/bin/env python3
# Compares two HDF5 files dataset by dataset: how many numeric datasets are
# bit-identical, and for the others the largest relative difference.
# Usage: scripts/h5compare.py A.h5 B.h5
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r')
rows = []
def visit(name, obj):
    if not isinstance(obj, h5py.Dataset) or name not in b: return
    x, y = obj[()], b[name][()]
    if not (isinstance(x, np.ndarray) and x.dtype.kind in 'fiu') and not np.isscalar(x): return
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape: rows.append((name, 'shape', x.shape, y.shape)); return
    if x.size == 0: return
    same = np.array_equal(x, y, equal_nan=True)
    with np.errstate(all='ignore'):
        fin = np.isfinite(x) & np.isfinite(y)
        d = np.abs(x - y)[fin] / np.maximum(np.abs(x[fin]) + np.abs(y[fin]), 1e-300) * 2
    rows.append((name, 'identical' if same else 'differs', float(d.max()) if d.size else 0.0, int(np.sum(np.isfinite(x) != np.isfinite(y)))))
a.visititems(visit)
ident = sum(r[1] == 'identical' for r in rows)
print(f"{len(rows)} numeric datasets, {ident} bit-identical")
for r in rows:
    if r[1] != 'identical': print("  %-50s %s max_rel=%.3g finite_mismatch=%s" % r)
