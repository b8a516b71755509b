"""Compute the perturbation table of the cell-key method (``teilhabe/perturbation_table.csv``).

Run from the repository root: ``uv run python script/perturbation_table.py`` writes the table;
``--check`` exits 1 if the file in the repository differs from what this script computes (a test
runs that).

For each true count n the table gives the distribution of the deviation d that is added to it
(published value n + d), following the maximum-entropy approach of Giessing (2016) and the
sdcTools package ``ptable``:

- |d| <= D (``MAX_DEVIATION``);
- the published value is never 1 or 2 (``BLOCKED``): counts 1 and 2 are published as 0 or as 3
  and more; a count of 3 or more never becomes 0, 1 or 2 (a group of people never looks empty);
- 0 stays 0;
- every distribution is unbiased (mean deviation 0);
- its variance is V (``VARIANCE``) where the allowed deviations permit it; where they do not
  (n = 1, 2: variance at least 2; n = 3: no negative deviation is allowed, so unbiased means
  unchanged), the smallest possible variance;
- among the distributions satisfying all that, the one of maximum entropy
  (p(d) proportional to exp(a d + b d^2), found by Newton's method on the dual).

Counts of ``N_MAX`` and more share one distribution. Probabilities are stored as integer upper
bounds out of 2^32 (``upper``), so that a 32-bit cell key selects the deviation by an exact
integer comparison: d is the first deviation (in ascending order) whose ``upper`` exceeds the key.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

MAX_DEVIATION = 2
VARIANCE = 1.0
BLOCKED = (1, 2)
N_MAX = MAX_DEVIATION + max(BLOCKED) + 1  # from here on every deviation of [-D, D] is allowed
KEY_RANGE = 1 << 32
TABLE = Path(__file__).resolve().parents[1] / "data_access" / "perturbation_table.csv"


def allowed_deviations(n: int) -> list[int]:
    if n == 0:
        return [0]
    smallest = 3 if n >= 3 else 0  # a group of three or more never looks empty
    return [
        d
        for d in range(-MAX_DEVIATION, MAX_DEVIATION + 1)
        if n + d >= smallest and n + d not in BLOCKED
    ]


def distribution(n: int) -> dict[int, float]:
    support = np.array(allowed_deviations(n), dtype=float)
    negative, positive = support[support < 0], support[support > 0]
    if 0 in support and (negative.size == 0 or positive.size == 0):
        return {0: 1.0}  # unbiased needs deviations on both sides; unchanged is the only choice
    if 0 not in support:
        # smallest variance of an unbiased distribution: the two deviations closest to 0
        low, high = negative.max(), positive.min()
        minimum = {int(low): high / (high - low), int(high): -low / (high - low)}
        variance = sum(p * d * d for d, p in minimum.items())
        if variance >= VARIANCE:
            return minimum
    return _max_entropy(support)


def _max_entropy(support: np.ndarray) -> dict[int, float]:
    """p(d) ~ exp(a d + b d^2) with mean 0 and variance VARIANCE (Newton on the convex dual)."""
    theta = np.zeros(2)
    features = np.stack([support, support**2])
    target = np.array([0.0, VARIANCE])
    for _ in range(200):
        logits = theta @ features
        weights = np.exp(logits - logits.max())
        p = weights / weights.sum()
        moments = features @ p
        gradient = moments - target
        if np.abs(gradient).max() < 1e-14:
            break
        centred = features - moments[:, None]
        hessian = (centred * p) @ centred.T
        theta -= np.linalg.solve(hessian, gradient)
    else:  # pragma: no cover - the problem is small and strictly convex
        raise RuntimeError(f"max-entropy distribution did not converge on {support}")
    return {int(d): float(q) for d, q in zip(support, p, strict=True)}


def table_rows() -> list[tuple[int, int, float, int]]:
    """(n, d, p, upper) for n = 0 .. N_MAX, deviations in ascending order, p > 0 only."""
    rows = []
    for n in range(N_MAX + 1):
        probabilities = distribution(n)
        cumulative = 0.0
        deviations = sorted(d for d, p in probabilities.items() if p > 0)
        for i, d in enumerate(deviations):
            cumulative += probabilities[d]
            upper = KEY_RANGE if i == len(deviations) - 1 else round(cumulative * KEY_RANGE)
            rows.append((n, d, probabilities[d], upper))
    return rows


def render() -> str:
    out = io.StringIO()
    out.write(
        f"# cell-key perturbation table: D={MAX_DEVIATION}, V={VARIANCE:g}, blocked "
        f"{'/'.join(map(str, BLOCKED))}; made by script/perturbation_table.py\n"
    )
    out.write("n,d,p,upper\n")
    for n, d, p, upper in table_rows():
        out.write(f"{n},{d},{p:.12f},{upper}\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = TABLE.is_file() and TABLE.read_text(encoding="utf-8") == text
        print("perturbation table up to date" if same else f"{TABLE} differs from the script")
        return 0 if same else 1
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
