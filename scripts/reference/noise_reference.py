"""The words sentence-transformers' TSDAE noise keeps (DenoisingAutoEncoderDataset.delete, run as it is).

Reads --cases FILE: {"seeds": [int, ...], "delRatio": float, "words": [[the words of sentence 0], ...]}. NLTK is not
installed in the reference environment, so a stand-in `nltk` module hands delete() the given words as
word_tokenize's result and returns the kept words from TreebankWordDetokenizer: what is compared is
delete()'s own draws (np.random.rand, np.random.choice after np.random.seed(seed), one sentence after the
other, for each seed afresh) and its keep rule. Prints JSON {"kept": [[[kept words of sentence 0], ...] per seed]}.
"""
from __future__ import annotations

import argparse
import json
import sys
import types

import numpy as np

SEPARATOR = "\u0001"


def install_nltk_stand_in(words_by_text: dict[str, list[str]]) -> None:
    nltk = types.ModuleType("nltk")
    nltk.word_tokenize = lambda text: list(words_by_text[text])
    treebank = types.ModuleType("nltk.tokenize.treebank")

    class TreebankWordDetokenizer:
        def detokenize(self, tokens):
            return SEPARATOR.join(str(t) for t in tokens)

    treebank.TreebankWordDetokenizer = TreebankWordDetokenizer
    tokenize = types.ModuleType("nltk.tokenize")
    tokenize.treebank = treebank
    nltk.tokenize = tokenize
    sys.modules.update({"nltk": nltk, "nltk.tokenize": tokenize, "nltk.tokenize.treebank": treebank})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", required=True)
    args = parser.parse_args()
    with open(args.cases, encoding="utf8") as f:
        case = json.load(f)
    texts = [f"sentence {i}" for i in range(len(case["words"]))]
    install_nltk_stand_in(dict(zip(texts, case["words"])))
    from sentence_transformers.sentence_transformer.datasets import DenoisingAutoEncoderDataset

    kept = []
    for seed in case["seeds"]:
        np.random.seed(seed)
        per_seed = []
        for text, words in zip(texts, case["words"]):
            out = DenoisingAutoEncoderDataset.delete(text, del_ratio=case["delRatio"])
            per_seed.append([] if not words else out.split(SEPARATOR))
        kept.append(per_seed)
    print(json.dumps({"kept": kept}))


if __name__ == "__main__":
    main()
