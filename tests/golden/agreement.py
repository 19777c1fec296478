"""Print how closely ``upsample_cli.compat`` agrees with each library's golden file.

    python tests/golden/agreement.py

Per library: the number of cases, the share of integer cases that are bit-exact and within 1,
and the worst float error relative to ``max(1, max |output|)``; per mode with ``-v``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from upsample_cli import compat  # noqa: E402

HERE = Path(__file__).parent


def mode_of(meta) -> str:
    kw = meta["kwargs"]
    return str(kw.get("interpolation", kw.get("method", kw.get("resample", meta["function"]))))


def main(verbose: bool) -> None:
    os.environ["KERAS_HOME"] = tempfile.mkdtemp()  # Keras' data_format=None: channels_last, as the files were made
    print("| library | cases | 8-bit exact | integer exact | integer within 1 | worst float error |")
    print("|---|---|---|---|---|---|")
    for lib in ["opencv", "pillow", "tf", "keras"]:
        path = HERE / f"{lib}.npz"
        if not path.exists():
            continue
        golden = np.load(path)
        meta = json.loads(str(golden["meta"]))
        rows = defaultdict(lambda: {"n": 0, "u8": 0, "u8_exact": 0, "int": 0, "exact": 0, "within1": 0, "float": 0.0})
        for k, m in enumerate(meta):
            for key in ("all", f"{mode_of(m)} {m['dtype']}"):
                rows[key]["n"] += 1
            if m["error"]:
                continue
            x = golden[f"c{k:04d}_in"]
            expected = golden[f"c{k:04d}_out"]
            got = getattr(compat, m["function"])(x, **m["kwargs"])
            diff = np.abs(got.astype(np.float64) - expected.astype(np.float64)).max(initial=0)
            for key in ("all", f"{mode_of(m)} {m['dtype']}"):
                r = rows[key]
                if expected.dtype.kind in "iu":
                    r["int"] += 1
                    r["exact"] += diff == 0
                    r["within1"] += diff <= 1
                    if expected.dtype == np.uint8:
                        r["u8"] += 1
                        r["u8_exact"] += diff == 0
                else:
                    scale = max(1.0, float(np.abs(expected.astype(np.float64)).max(initial=0)))
                    r["float"] = max(r["float"], diff / scale)
        keys = ["all"] + (sorted(k for k in rows if k != "all") if verbose else [])
        for key in keys:
            r = rows[key]
            pct = lambda a, b: f"{100 * a / b:.1f}% ({a}/{b})" if b else "-"  # noqa: E731
            name = lib if key == "all" else f"  {key}"
            print(f"| {name} | {r['n']} | {pct(r['u8_exact'], r['u8'])} | {pct(r['exact'], r['int'])} | "
                  f"{pct(r['within1'], r['int'])} | {r['float']:.2g} |")


if __name__ == "__main__":
    main("-v" in sys.argv)
