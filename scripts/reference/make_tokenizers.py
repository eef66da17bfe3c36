"""Tokenizer folders shaped like the new architectures' real ones, and the ids transformers gives for texts.

Usage: make_tokenizers.py --out DIR --texts texts.json --ids ids.json [--max-lengths 32,own]

The model hub is unreachable here, so each folder is built from real text of /work/shared/data with the same
tools and in the same shape as the published tokenizer.json files:
  xlmr        SentencePiece Unigram trained by `sentencepiece` (normalization nmt_nfkc, so the precompiled
              charsmap is the real one), converted by transformers (XLMRobertaTokenizer from
              sentencepiece.bpe.model); the saved tokenizer.json is then given the normalizer and pre-tokenizer
              of the hub's XLM-R files (xlm-roberta-base, multilingual-e5, bge-m3, written by transformers 4's
              converter): Sequence[Precompiled, Replace(" {2,}" -> " ")] and Metaspace(add_prefix_space).
  roberta     ByteLevel BPE trained by `tokenizers`, wrapped as RobertaTokenizer (RobertaProcessing).
  mpnet       the WordPiece vocabulary of all-MiniLM-L6-v2 with MPNet's <s> <pad> </s> <unk> ... <mask>.
  modernbert  ByteLevel BPE trained by `tokenizers` in the GPT-NeoX/OLMo shape ModernBERT's tokenizer.json has
              (NFC normalizer, added tokens for runs of spaces, [CLS] $A [SEP] template), loaded as
              PreTrainedTokenizerFast (tokenizer_class of ModernBERT's tokenizer_config.json).
xlmr-no-class and xlmr-as-written are xlmr without tokenizer_class and with PreTrainedTokenizerFast (the
pipeline as written; plus an added token matched after normalization); xlmr-v4-config has the tokenizer_config.json
transformers 4 wrote for the hub's XLM-R models. Each folder also gets a tiny config.json, modules.json and sentence_bert_config.json (a sentence-transformers
folder). ids.json: {folder: {max_length: [[ids...], ...]}} from AutoTokenizer.from_pretrained(folder) called as
sentence-transformers calls it (truncation="longest_first", max_length).
"""
import argparse
import base64
import csv
import json
import os
import random
import shutil

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")

# A little non-English text so that the vocabularies hold accented, Greek, Cyrillic and CJK pieces too.
MULTILINGUAL = [
    "Der Vertrag wurde am 3. März geschlossen, und die Parteien verpflichteten sich zur Geheimhaltung.",
    "La cour d'appel a confirmé le jugement; les frais sont à la charge de la défenderesse.",
    "El tribunal declaró que el contrato era válido y que la señora Núñez tenía razón.",
    "Il giudice ha respinto il ricorso perché la società non aveva più interesse ad agire.",
    "İstanbul'da şirketin genel müdürü ıslak imzalı belgeyi teslim etti.",
    "Суд постановил, что договор является действительным и подлежит исполнению.",
    "Το δικαστήριο απέρριψε την αγωγή ως αβάσιμη και καταδίκασε τον ενάγοντα στα έξοδα.",
    "裁判所は契約が有効であると判断し、被告に損害賠償を命じた。東京地方裁判所。",
    "法院认为合同有效，被告应当赔偿原告的全部损失。北京市高级人民法院。",
    "법원은 계약이 유효하다고 판단하고 피고에게 손해배상을 명령했다.",
    "المحكمة قضت بأن العقد صحيح وأن المدعى عليه ملزم بالتعويض.",
    "न्यायालय ने कहा कि अनुबंध वैध है और प्रतिवादी को हर्जाना देना होगा।",
    "ＡＢＣ１２３ ｶﾀｶﾅ ①②③ ﬁnance ½ ™ — “quoted” «guillemets» …",
]


def corpus() -> list[str]:
    texts = []
    with open(os.path.join(DATA, "legal-anchor-positive", "train_dataset.json"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                texts += [row["anchor"], row["positive"]]
    with open(os.path.join(DATA, "stsbenchmark", "sts-train.csv"), encoding="utf-8") as f:
        for fields in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(fields) >= 7:
                texts += [fields[5], fields[6]]
    with open(os.path.join(DATA, "cisi", "CISI.ALL"), encoding="utf-8") as f:
        texts += [line.strip() for line in f if line.strip() and not line.startswith(".")]
    texts += MULTILINGUAL * 20
    return texts


def sentence_transformers_files(folder: str, config: dict, max_seq_length: int) -> None:
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}], f)
    with open(os.path.join(folder, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": max_seq_length, "do_lower_case": False}, f)


def tiny_config(model_type: str, vocab_size: int, positions: int, pad: int, extra: dict | None = None) -> dict:
    config = {"model_type": model_type, "vocab_size": vocab_size, "hidden_size": 32, "num_hidden_layers": 1,
              "num_attention_heads": 2, "intermediate_size": 37, "max_position_embeddings": positions,
              "pad_token_id": pad}
    config.update(extra or {})
    return config


def make_xlmr(texts: list[str], out: str, work: str) -> None:
    import sentencepiece as spm
    from transformers import XLMRobertaTokenizer

    prefix = os.path.join(work, "spm")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_prefix=prefix, vocab_size=4000, model_type="unigram",
        normalization_rule_name="nmt_nfkc", character_coverage=0.9995, num_threads=2, seed_sentencepiece_size=200000,
        # fairseq's layout of XLM-R's sentencepiece.bpe.model: <unk> <s> </s>, no pad (the converter puts
        # <s> <pad> </s> <unk> first and the pieces from the fourth on after them).
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
    source = os.path.join(work, "xlmr-source")
    os.makedirs(source)
    shutil.copy(prefix + ".model", os.path.join(source, "sentencepiece.bpe.model"))
    tokenizer = XLMRobertaTokenizer.from_pretrained(source, model_max_length=512)
    tokenizer.save_pretrained(out)
    path = os.path.join(out, "tokenizer.json")
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    precompiled = _find(document["normalizer"], "Precompiled")
    if precompiled is None or not base64.b64decode(precompiled["precompiled_charsmap"]):
        raise SystemExit(f"{path}: transformers wrote no Precompiled normalizer: {document['normalizer']}")
    # The hub's XLM-R tokenizer.json files (transformers 4's converter).
    document["normalizer"] = {"type": "Sequence", "normalizers": [
        precompiled, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    document["pre_tokenizer"] = {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}
    mask = next(t for t in document["added_tokens"] if t["content"] == "<mask>")
    mask["lstrip"] = True  # as the hub's files have it (XLM-R's <mask> eats the space before it)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=2)
    shutil.copy(prefix + ".model", os.path.join(out, "sentencepiece.bpe.model"))
    edit_tokenizer_config(out, mask_lstrip=True, drop=["extra_special_tokens", "unk_id", "is_local", "local_files_only"])
    sentence_transformers_files(out, tiny_config("xlm-roberta", len(tokenizer), 514, 1), 512)


def edit_tokenizer_config(folder: str, mask_lstrip: bool = False, drop: list[str] = (), tokenizer_class: str | None = None) -> None:
    path = os.path.join(folder, "tokenizer_config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    for key in drop:
        config.pop(key, None)
    if mask_lstrip:
        for token in config.get("added_tokens_decoder", {}).values():
            if token["content"] == "<mask>":
                token["lstrip"] = True
    if tokenizer_class:
        config["tokenizer_class"] = tokenizer_class
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)


def write_v4_xlmr_config(folder: str) -> None:
    """tokenizer_config.json in the shape transformers 4 wrote for multilingual-e5 / bge-m3: added_tokens_decoder,
    the mask token as an AddedToken dict, sp_model_kwargs."""
    def token(content: str, lstrip: bool = False) -> dict:
        return {"content": content, "lstrip": lstrip, "normalized": False, "rstrip": False, "single_word": False, "special": True}

    with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
        mask_id = next(t["id"] for t in json.load(f)["added_tokens"] if t["content"] == "<mask>")
    config = {
        "added_tokens_decoder": {"0": token("<s>"), "1": token("<pad>"), "2": token("</s>"), "3": token("<unk>"),
                                 str(mask_id): token("<mask>", lstrip=True)},
        "bos_token": "<s>", "clean_up_tokenization_spaces": True, "cls_token": "<s>", "eos_token": "</s>",
        "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": True, "rstrip": False,
                       "single_word": False},
        "model_max_length": 512, "pad_token": "<pad>", "sep_token": "</s>", "sp_model_kwargs": {},
        "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>",
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)


def add_normalized_token(path: str) -> None:
    """An added token matched on the normalized text, which the charsmap and NFKC normalize differently (U+200D)."""
    from tokenizers import AddedToken, Tokenizer

    tokenizer = Tokenizer.from_file(path)
    tokenizer.add_tokens([AddedToken("\uff21\uff22\u200d\uff23", normalized=True, special=False)])
    tokenizer.save(path)


def _find(normalizer: dict | None, kind: str) -> dict | None:
    if not normalizer:
        return None
    if normalizer.get("type") == kind:
        return normalizer
    for inner in normalizer.get("normalizers", []) if normalizer.get("type") == "Sequence" else []:
        if inner.get("type") == kind:
            return inner
    return None


def make_roberta(texts: list[str], out: str, work: str) -> None:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=4000, min_frequency=2, show_progress=False,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    source = os.path.join(work, "roberta-source")
    os.makedirs(source)
    bpe.save_model(source)  # vocab.json + merges.txt, as roberta-base ships them
    tokenizer = RobertaTokenizer.from_pretrained(source, model_max_length=512)
    tokenizer.save_pretrained(out)
    edit_tokenizer_config(out, drop=["is_local", "local_files_only"])
    sentence_transformers_files(out, tiny_config("roberta", len(tokenizer), 514, 1), 512)


def make_mpnet(out: str) -> None:
    from transformers import MPNetTokenizer

    with open(os.path.join(DATA, "models", "all-MiniLM-L6-v2", "vocab.txt"), encoding="utf-8") as f:
        bert = [line.rstrip("\n") for line in f]
    # all-mpnet-base-v2's layout: <s> <pad> </s> <unk>, then BERT's uncased WordPiece vocabulary, then <mask>.
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + bert + ["<mask>"]
    tokenizer = MPNetTokenizer(vocab={t: i for i, t in enumerate(tokens)}, do_lower_case=True, model_max_length=512)
    tokenizer.save_pretrained(out)
    sentence_transformers_files(out, tiny_config("mpnet", len(tokenizer), 514, 1), 384)


def make_modernbert(texts: list[str], out: str) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(vocab_size=4000, min_frequency=2, show_progress=False,
                                  special_tokens=["<|endoftext|>", "<|padding|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts, trainer)
    # GPT-NeoX / OLMo: runs of 24 down to 2 spaces are added (not special) tokens; then OLMo's PII markers and
    # ModernBERT's specials, [MASK] eating the space before it.
    tok.add_tokens([AddedToken(" " * n, normalized=True, special=False) for n in range(24, 1, -1)])
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in
                    ["|||EMAIL_ADDRESS|||", "|||PHONE_NUMBER|||", "|||IP_ADDRESS|||"]])
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ["[UNK]", "[CLS]", "[SEP]", "[PAD]"]]
                           + [AddedToken("[MASK]", lstrip=True, normalized=False, special=True)])
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:0 [SEP]:0",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                        pad_token="[PAD]", mask_token="[MASK]", model_max_length=8192,
                                        clean_up_tokenization_spaces=True)
    tokenizer.save_pretrained(out)
    edit_tokenizer_config(out, tokenizer_class="PreTrainedTokenizerFast")  # as ModernBERT's tokenizer_config.json says
    special = {f"{k}_token_id": tok.token_to_id(v) for k, v in [("bos", "[CLS]"), ("eos", "[SEP]"), ("cls", "[CLS]"), ("sep", "[SEP]")]}
    sentence_transformers_files(out, tiny_config("modernbert", len(tokenizer), 8192, tok.token_to_id("[PAD]"),
                                                 {"global_attn_every_n_layers": 1, "local_attention": 8, **special}), 8192)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--texts", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("--max-lengths", default="32,own")
    parser.add_argument("--charsmap-cases", help="also write xlmr's Precompiled normalizer (Rust) on every code point here")
    args = parser.parse_args()

    random.seed(0)
    train = corpus()
    work = os.path.join(args.out, "_work")
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(work)
    make_xlmr(train, os.path.join(args.out, "xlmr"), work)
    make_roberta(train, os.path.join(args.out, "roberta"), work)
    make_mpnet(os.path.join(args.out, "mpnet"))
    make_modernbert(train, os.path.join(args.out, "modernbert"))
    # The same XLM-R files without a tokenizer_class (transformers picks the class from config.json's
    # model_type), and with tokenizer_class PreTrainedTokenizerFast (transformers runs tokenizer.json as written).
    for variant, tokenizer_class in [("xlmr-no-class", None), ("xlmr-as-written", "PreTrainedTokenizerFast")]:
        shutil.copytree(os.path.join(args.out, "xlmr"), os.path.join(args.out, variant))
        edit_tokenizer_config(os.path.join(args.out, variant), drop=["tokenizer_class"], tokenizer_class=tokenizer_class)
    add_normalized_token(os.path.join(args.out, "xlmr-as-written", "tokenizer.json"))
    shutil.copytree(os.path.join(args.out, "xlmr"), os.path.join(args.out, "xlmr-v4-config"))
    write_v4_xlmr_config(os.path.join(args.out, "xlmr-v4-config"))
    shutil.rmtree(work)

    from transformers import AutoTokenizer

    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)
    result = {}
    for name in ["xlmr", "xlmr-no-class", "xlmr-as-written", "xlmr-v4-config", "roberta", "mpnet", "modernbert"]:
        folder = os.path.join(args.out, name)
        with open(os.path.join(folder, "sentence_bert_config.json")) as f:
            own = json.load(f)["max_seq_length"]
        tokenizer = AutoTokenizer.from_pretrained(folder)
        backend = tokenizer.backend_tokenizer
        result[name] = {"class": type(tokenizer).__name__, "pad_token_id": tokenizer.pad_token_id, "vocab_size": len(tokenizer), "ids": {},
                        "pipeline": [str(backend.normalizer)[:60], str(backend.pre_tokenizer)[:120]]}
        for spec in args.max_lengths.split(","):
            length = own if spec == "own" else int(spec)
            # As sentence-transformers' Transformer module calls its tokenizer.
            encoded = tokenizer(texts, truncation="longest_first", max_length=length)
            result[name]["ids"][str(length)] = encoded["input_ids"]
    with open(args.ids, "w", encoding="utf-8") as f:
        json.dump(result, f)
    if args.charsmap_cases:
        write_charsmap_cases(os.path.join(args.out, "xlmr", "tokenizer.json"), args.charsmap_cases)


def write_charsmap_cases(tokenizer_json: str, out: str) -> None:
    """Rust tokenizers' Precompiled normalizer on every code point up to U+2FFFF, alone and before a combining
    acute, and on multi-character clusters: {"inputs": [...], "outputs": [...]}."""
    from tokenizers import normalizers

    with open(tokenizer_json, encoding="utf-8") as f:
        charsmap = _find(json.load(f)["normalizer"], "Precompiled")["precompiled_charsmap"]
    normalizer = normalizers.Precompiled(base64.b64decode(charsmap))
    code_points = [chr(c) for c in range(0x30000) if not 0xD800 <= c <= 0xDFFF]
    inputs = code_points + [c + "\u0301" for c in code_points[:0xF000]] + [
        "\r\n", "a\r\nb", "\n\r", "e\u0301\u0302x", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\uff76\uff9e", "\uff8a\uff9f",
        "\u1100\u1161\u11a8", "\u0915\u094d\u0937", "\U0001F1FA\U0001F1F8", "\u2764\ufe0f", "a\u200db", "\u0600 x", "i\u0307"]
    outputs = [normalizer.normalize_str(text) for text in inputs]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"inputs": inputs, "outputs": outputs}, f)


if __name__ == "__main__":
    main()
