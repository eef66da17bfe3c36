"""torch.optim (and bitsandbytes for adamw_8bit) stepped on given parameters with given gradients, as the
HF Trainer (transformers 5.17) builds the optimizer: two parameter groups, weight decay on all but biases
and norm weights (Trainer.get_decay_parameter_names' name patterns), the optimizer class and keyword
arguments of trainer_optimizer.py for each `optim`.

Reads each --dir DIR: initial.safetensors (parameters by name), grads_<k>.safetensors for k = 0..steps-1,
spec.json {optim, lrs: [...], weight_decay, adam_beta1, adam_beta2, adam_epsilon, optim_args (str or null)}.
Writes DIR/after.safetensors (the parameters after every step) and DIR/reference.json (what ran); for
adamw_8bit also DIR/after_adamw32.safetensors, torch's 32-bit AdamW on the same gradients (the 8-bit
moments' cost in accuracy); its after.safetensors only when bitsandbytes is installed.

Usage: optimizer_reference.py --dir DIR [--dir DIR ...]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re

import torch
from safetensors.torch import load_file, save_file
from transformers import TrainingArguments
from transformers.trainer import Trainer

# transformers' Trainer.get_decay_parameter_names name patterns (LayerNorm modules are named LayerNorm/norm here).
FORBIDDEN = [r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"]
# The HF Trainer registers every nn.Embedding weight for 32-bit state with bitsandbytes.
EMBEDDING = re.compile(r"(embeddings|relative_attention_bias)\.weight$")


def decays(name: str) -> bool:
    return not any(re.search(p, name.lower()) for p in FORBIDDEN)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, action="append")
    for d in ap.parse_args().dir:
        spec = json.load(open(os.path.join(d, "spec.json")))
        if spec["optim"] in ("adamw_8bit", "adamw_bnb_8bit"):
            run(d, {**spec, "optim": "adamw_torch"}, suffix="_adamw32")
            if importlib.util.find_spec("bitsandbytes") is None:
                continue  # not in the reference venv: only the 32-bit comparison
        run(d, spec)


def run(d: str, spec: dict, suffix: str = "") -> None:
    initial = load_file(os.path.join(d, "initial.safetensors"))
    names = sorted(initial)
    params = {n: torch.nn.Parameter(initial[n].clone().float()) for n in names}
    groups = [
        {"params": [params[n] for n in names if decays(n)], "weight_decay": spec["weight_decay"]},
        {"params": [params[n] for n in names if not decays(n)], "weight_decay": 0.0},
    ]
    args = TrainingArguments(output_dir=os.path.join(d, "unused"), optim=spec["optim"], optim_args=spec.get("optim_args"),
                             learning_rate=spec["lrs"][0], weight_decay=spec["weight_decay"], adam_beta1=spec["adam_beta1"],
                             adam_beta2=spec["adam_beta2"], adam_epsilon=spec["adam_epsilon"], report_to="none", use_cpu=True)
    cls, kwargs = Trainer.get_optimizer_cls_and_kwargs(args)
    if "bitsandbytes" in str(cls) and kwargs.get("optim_bits") == 8:
        import bitsandbytes

        manager = bitsandbytes.optim.GlobalOptimManager.get_instance()
        manager.register_parameters([params[n] for n in names])
        for n in names:
            if EMBEDDING.search(n):
                manager.override_config(params[n], "optim_bits", 32)
    opt = cls(groups, **kwargs)
    for k, lr in enumerate(spec["lrs"]):
        grads = load_file(os.path.join(d, f"grads_{k}.safetensors"))
        for n in names:
            params[n].grad = grads[n].float().clone()
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        opt.zero_grad(set_to_none=True)
    save_file({n: params[n].detach().contiguous() for n in names}, os.path.join(d, f"after{suffix}.safetensors"))
    state_kinds = {}
    for n in names:
        st = opt.state.get(params[n], {})
        state_kinds[n] = {k: str(v.dtype) for k, v in st.items() if torch.is_tensor(v)}
    json.dump({"class": f"{cls.__module__}.{cls.__name__}", "kwargs": {k: v for k, v in kwargs.items() if isinstance(v, (int, float, str, bool, tuple, list))},
               "state": state_kinds}, open(os.path.join(d, f"reference{suffix}.json"), "w"), default=str)


if __name__ == "__main__":
    main()
