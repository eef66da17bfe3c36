"""The Hugging Face Trainer's training computation as sentence-transformers runs it, written out as a plain
PyTorch loop (st_trainer_reference.py --engine loop) for machines without `datasets` and `accelerate`, which
SentenceTransformerTrainer needs. Written from the semantics of transformers 5.17 / sentence-transformers 6.0.1:

- collation: each input column through model.preprocess, moved to the device; the loss gets labels None;
- optimizer: torch.optim.AdamW (fused for optim "adamw_torch_fused", the default on torch >= 2.8) over the
  loss module's parameters in two groups: weight decay for all but biases, norm weights and anything inside an
  nn.LayerNorm;
- schedule: transformers.get_scheduler with warmup_steps (a count, or a ratio when below 1; sentence-transformers
  turns warmup_ratio into that ratio) over max_steps = ceil(epochs * update steps per epoch), or max_steps;
- accumulation: update steps per epoch = ceil(nominal batches / accumulation); each step takes up to that many
  batches (the last step of an epoch the remainder), divides each micro-batch loss by the number it took, and
  steps the optimizer where HF syncs: after every accumulation-th batch of the epoch or its nominal last batch;
- clip_grad_norm_ over the model's parameters when max_grad_norm > 0 (else the norm alone), the learning rate
  used by the step, then the optimizer and scheduler steps and zero_grad (to None);
- bf16: the model's forward under torch.autocast(bfloat16) with its floating outputs cast back to float32, as
  accelerate wraps it, so the loss itself runs in float32; tf32 as transformers sets it (fp32_precision).
Training stops at max_steps. Only torch, transformers and sentence-transformers are imported.
"""
import math, random, re, time, types
import numpy as np
import torch

# Arguments that only steer logging, saving, evaluation or batch order (the batches are given): accepted, unused.
NO_EFFECT = {"batch_sampler", "logging_steps", "logging_strategy", "save_strategy", "eval_strategy",
             "per_device_eval_batch_size", "run_name", "report_to", "save_total_limit"}
DEFAULTS = {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 1, "num_train_epochs": 3.0,
            "max_steps": -1, "learning_rate": 5e-5, "lr_scheduler_type": "linear", "lr_scheduler_kwargs": None,
            "warmup_steps": 0, "warmup_ratio": None, "weight_decay": 0.0, "adam_beta1": 0.9, "adam_beta2": 0.999,
            "adam_epsilon": 1e-8, "max_grad_norm": 1.0, "bf16": False, "fp16": False, "tf32": None, "seed": 42,
            "dataloader_drop_last": False, "optim": "adamw_torch_fused"}
NO_DECAY_PATTERNS = ("bias", "layernorm", "rmsnorm", r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)")


class LoopError(Exception):
    pass


def loop_arguments(hf_args):
    unknown = sorted(set(hf_args) - set(DEFAULTS) - NO_EFFECT)
    if unknown:
        raise LoopError(f"the loop engine does not implement the training arguments {unknown}; "
                        "use --engine trainer where `datasets` and `accelerate` are installed")
    args = {**DEFAULTS, **{k: v for k, v in hf_args.items() if k in DEFAULTS}}
    if args["fp16"]:
        raise LoopError("fp16 is not implemented by the loop engine (it would need a gradient scaler); use bf16")
    if args["optim"] not in ("adamw_torch", "adamw_torch_fused"):
        raise LoopError(f"optim {args['optim']!r}: the loop engine implements adamw_torch and adamw_torch_fused")
    if args["warmup_ratio"] is not None and args["warmup_steps"] == 0:
        args["warmup_steps"] = args["warmup_ratio"]
    for key in ("per_device_train_batch_size", "gradient_accumulation_steps"):
        if not isinstance(args[key], int) or args[key] < 1:
            raise LoopError(f"{key} must be a positive integer, got {args[key]!r}")
    return args


def decays(name, owner_is_layernorm):
    return not owner_is_layernorm and not any(re.search(p, name.lower()) for p in NO_DECAY_PATTERNS)


def parameter_groups(loss_module, weight_decay):
    """The HF Trainer's two groups over the loss module's parameters (the model is a submodule of the loss)."""
    in_layernorm = {id(p) for m in loss_module.modules() if isinstance(m, torch.nn.LayerNorm) for p in m.parameters()}
    named = [(n, p) for n, p in loss_module.named_parameters() if p.requires_grad]
    return [{"params": [p for n, p in named if decays(n, id(p) in in_layernorm)], "weight_decay": weight_decay},
            {"params": [p for n, p in named if not decays(n, id(p) in in_layernorm)], "weight_decay": 0.0}]


def set_tf32(enable, device):
    if enable and device.type != "cuda":
        raise LoopError("tf32 needs a CUDA device (the HF Trainer refuses it elsewhere too)")
    if hasattr(torch.backends, "fp32_precision"):
        torch.backends.fp32_precision = "tf32" if enable else "ieee"
    else:
        torch.backends.cuda.matmul.allow_tf32 = enable
        torch.backends.cudnn.allow_tf32 = enable


def autocast_forward(model, device):
    """Wraps the model's forward as accelerate does for mixed_precision="bf16"; returns the undo."""
    original = model.forward.__func__

    def to_fp32(x):
        if isinstance(x, torch.Tensor):
            return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        if isinstance(x, dict):
            return type(x)({k: to_fp32(v) for k, v in x.items()})
        if isinstance(x, (list, tuple)):
            return type(x)(to_fp32(v) for v in x)
        return x

    def forward(self, *args, **kwargs):
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            out = original(self, *args, **kwargs)
        return to_fp32(out)

    model.forward = types.MethodType(forward, model)
    return lambda: delattr(model, "forward")


def plan(hf, nominal_length):
    accum = hf["gradient_accumulation_steps"]
    updates_per_epoch = max(nominal_length // accum + int(nominal_length % accum > 0), 1)
    if hf["max_steps"] > 0:
        max_steps = hf["max_steps"]
        epochs = max_steps // updates_per_epoch + int(max_steps % updates_per_epoch > 0)
    else:
        max_steps = math.ceil(hf["num_train_epochs"] * updates_per_epoch)
        epochs = math.ceil(hf["num_train_epochs"])
    w = hf["warmup_steps"]
    warmup = int(w) if w >= 1 else math.ceil(max_steps * w)
    return updates_per_epoch, max_steps, epochs, warmup


def train(model, loss_fn, rows, columns, epochs_batches, hf_args, nominal_length, device):
    """Trains model in place; returns (steps, train_loss, global_step, train_runtime seconds)."""
    from transformers import get_scheduler
    hf = loop_arguments(hf_args)
    random.seed(hf["seed"]); np.random.seed(hf["seed"]); torch.manual_seed(hf["seed"])
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(hf["seed"])
    if hf["tf32"] is not None:
        set_tf32(hf["tf32"], device)
    accum = hf["gradient_accumulation_steps"]
    updates_per_epoch, max_steps, num_epochs, warmup = plan(hf, nominal_length)
    if num_epochs > len(epochs_batches):
        raise LoopError(f"training needs {num_epochs} epochs of batches, --batches has {len(epochs_batches)}")

    optimizer = torch.optim.AdamW(parameter_groups(loss_fn, hf["weight_decay"]), lr=hf["learning_rate"],
                                  betas=(hf["adam_beta1"], hf["adam_beta2"]), eps=hf["adam_epsilon"],
                                  **({"fused": True} if hf["optim"] == "adamw_torch_fused" else {}))
    scheduler = get_scheduler(hf["lr_scheduler_type"], optimizer=optimizer, num_warmup_steps=warmup,
                              num_training_steps=max_steps, scheduler_specific_kwargs=hf["lr_scheduler_kwargs"] or {})
    undo_autocast = autocast_forward(model, device) if hf["bf16"] else None

    def features_of(batch):
        return [{k: v.to(device) if isinstance(v, torch.Tensor) else v
                 for k, v in model.preprocess([rows[i][c] for i in batch], prompt=None).items()} for c in columns]

    steps, micro, total_loss, global_step = [], [], 0.0, 0
    started = time.perf_counter()
    model.zero_grad()
    for epoch in range(num_epochs):
        batches = iter(epochs_batches[epoch])
        remainder = nominal_length % accum or accum
        step = -1
        for update in range(updates_per_epoch):
            wanted = accum if update != updates_per_epoch - 1 else remainder
            group = [b for _, b in zip(range(wanted), batches)]
            for batch in group:
                step += 1
                model.train()
                loss = loss_fn(features_of(batch), None)
                micro.append((loss.detach().double().item(), len(group)))
                (loss / len(group)).backward()
                if (step + 1) % accum != 0 and step + 1 != nominal_length:
                    continue
                params = model.parameters()
                grad_norm = torch.nn.utils.clip_grad_norm_(params, hf["max_grad_norm"] if hf["max_grad_norm"] > 0 else math.inf)
                learning_rate = scheduler.get_last_lr()[0]
                optimizer.step()
                scheduler.step()
                model.zero_grad()
                global_step += 1
                step_loss = sum(m / n for m, n in micro)
                total_loss += step_loss
                steps.append({"step": global_step, "loss": step_loss, "micro_losses": [m for m, _ in micro],
                              "group_size": len(micro), "learning_rate": learning_rate, "grad_norm": grad_norm.item(),
                              "epoch": epoch + (step + 1) / nominal_length})
                micro = []
                if global_step >= max_steps:
                    break
            if global_step >= max_steps:
                break
        if global_step >= max_steps or step < 0:
            break
    if device.type == "cuda":
        torch.cuda.synchronize()
    runtime = time.perf_counter() - started
    if undo_autocast:
        undo_autocast()
    return steps, total_loss / max(global_step, 0.001), global_step, runtime
