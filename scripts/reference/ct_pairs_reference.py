"""What Python's `random` and sentence-transformers' ContrastiveTensionDataLoader give for a seed, for the
test of lib/data/PythonRandom.ts and lib/losses/ContrastiveTensionDataLoader.ts.

Reads --cases FILE: {"cases": [{"sentences": [...], "batchSize": int, "posNegRatio": int, "seed": int}]}.
Writes --out FILE: {"cases": [{"pairs": [[text_a, text_b, label], ...], "draws": {...}}]}, where pairs are
random.seed(seed) followed by one iteration of ContrastiveTensionDataLoader(sentences, batch_size, pos_neg_ratio),
and draws are, after random.seed(seed) again: getrandbits(k) for k = 1..32, 5 random(), a shuffle of range(50)
and 5 choice(range(1000)), in that order.
"""
from __future__ import annotations

import argparse
import json
import random

from sentence_transformers.sentence_transformer.losses import ContrastiveTensionDataLoader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.cases, encoding="utf8") as f:
        cases = json.load(f)["cases"]
    out = []
    for case in cases:
        random.seed(case["seed"])
        loader = ContrastiveTensionDataLoader(list(case["sentences"]), case["batchSize"], case["posNegRatio"])
        pairs = [[e.texts[0], e.texts[1], e.label] for batch in loader for e in batch]
        random.seed(case["seed"])
        bits = [random.getrandbits(k) for k in range(1, 33)]
        floats = [random.random() for _ in range(5)]
        shuffled = list(range(50))
        random.shuffle(shuffled)
        choices = [random.choice(range(1000)) for _ in range(5)]
        out.append(dict(pairs=pairs, draws=dict(bits=bits, floats=floats, shuffled=shuffled, choices=choices)))
    with open(args.out, "w", encoding="utf8") as f:
        json.dump(dict(cases=out), f)


if __name__ == "__main__":
    main()
