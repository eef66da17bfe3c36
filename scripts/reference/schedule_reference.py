"""Reference values for lib/training: what transformers 5.17 / sentence-transformers 6.0.1 compute for the
training arguments, the learning-rate schedules and the Trainer's step bookkeeping.

Usage: python schedule_reference.py <mode> <cases.json>   (prints one JSON document on stdout)
  args       each case is a dict of SentenceTransformerTrainingArguments kwargs; prints, per case,
             {"ok": to_dict() (after __post_init__ derived its values)} or {"error": "<message>"}
  schedules  each case {type, lr, warmup, total, kwargs, extra}; drives a dummy optimizer through
             transformers.get_scheduler and prints the lr in effect at every optimizer step
  steps      each case {batches, args}; runs the real Trainer.set_initial_training_values and
             Trainer._run_epoch on a stub trainer (no model) and prints the step counts and the full trace
  state      each case {text}: trainer_state.json text; TrainerState.load_from_json then save_to_json; prints
             the text transformers writes back
  rotate     each case {steps, limit, best}: rotate_checkpoints over checkpoint-<step> folders (best: a step or
             null); prints the names of the folders left

The venv has no `accelerate`, which TrainingArguments needs only to pick a device (and the Trainer for one enum);
the device setup is replaced by "cpu, no GPU" since none of the values compared here depend on it.
"""
import contextlib
import json
import logging
import os
import sys
import tempfile
import types
import warnings

import torch
import transformers.trainer as hf_trainer
import transformers.training_args as hf_training_args
from transformers import Trainer
from transformers.optimization import get_scheduler
from transformers.trainer_callback import CallbackHandler, DefaultFlowCallback, TrainerControl, TrainerState
from transformers.trainer_utils import rotate_checkpoints


def _cpu_device(self):
    self._n_gpu = 0
    self.distributed_state = None
    return torch.device("cpu")


hf_training_args.TrainingArguments._setup_devices = property(_cpu_device)
# _run_epoch compares against accelerate's DistributedType, imported only when accelerate is installed.
if not hasattr(hf_trainer, "DistributedType"):
    hf_trainer.DistributedType = types.SimpleNamespace(DEEPSPEED="DEEPSPEED")

from sentence_transformers import SentenceTransformerTrainingArguments  # noqa: E402

# Only the JSON on stdout matters; keep the deprecation notices of the cases out of the test output.
hf_training_args.logger.setLevel(logging.ERROR)
logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
warnings.filterwarnings("ignore")


def make_args(kwargs):
    return SentenceTransformerTrainingArguments(**kwargs)


def args_case(kwargs):
    try:
        args = make_args(kwargs)
    except (ValueError, TypeError) as exc:
        return {"error": str(exc)}
    d = args.to_dict()
    out = {k: v for k, v in d.items() if isinstance(v, (str, int, float, bool, list, dict, type(None)))}
    return {"ok": out}


def schedule_case(case):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=case["lr"])
    scheduler = get_scheduler(
        case["type"],
        optimizer=optimizer,
        num_warmup_steps=case["warmup"],
        num_training_steps=case["total"],
        scheduler_specific_kwargs=case.get("kwargs") or {},
    )
    lrs = []
    for _ in range(case["total"] + case.get("extra", 0)):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def steps_case(case):
    args = make_args(case["args"])
    batches = case["batches"]
    dataloader = [{"batch": i} for i in range(batches)]

    stub = types.SimpleNamespace()
    stub.args = args
    stub._train_batch_size = args.per_device_train_batch_size
    stub.get_total_train_batch_size = lambda a: a.per_device_train_batch_size * a.gradient_accumulation_steps
    stub.get_sp_size = lambda: 1
    stub.num_examples = lambda dl: len(dl) * args.per_device_train_batch_size
    (num_train_epochs, upe, _, _, _, steps_in_epoch, max_steps) = Trainer.set_initial_training_values(
        stub, args, dataloader
    )

    state = TrainerState()
    state.compute_steps(args, max_steps)
    state.max_steps = max_steps
    state.num_train_epochs = num_train_epochs
    control = TrainerControl()
    handler = CallbackHandler([DefaultFlowCallback()], None, None, None, None)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=args.learning_rate)
    warmup = args.get_warmup_steps(max_steps)
    scheduler = get_scheduler(
        args.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=warmup,
        num_training_steps=max_steps,
        scheduler_specific_kwargs=args.lr_scheduler_kwargs,
    )

    micro = []  # [epoch, batch index, whether an optimizer step follows it]
    lrs = []  # lr in effect at each optimizer step
    events = []  # [where ("step" | "epoch_end"), global_step, state.epoch, log, evaluate, save]
    gradient_state = types.SimpleNamespace(plugin_kwargs={}, _set_sync_gradients=lambda v: None)
    stub.accelerator = types.SimpleNamespace(
        gradient_state=gradient_state, distributed_type=None, no_sync=lambda model: contextlib.nullcontext(),
        optimizer_step_was_skipped=False,
    )
    stub.state = state
    stub.control = control
    stub.callback_handler = handler
    stub.lr_scheduler = scheduler
    stub._tr_loss = torch.tensor(0.0)
    stub._globalstep_last_logged = 0
    stub.current_flos = 0.0
    stub.floating_point_ops = lambda inputs: 0
    stub._track_num_input_tokens = lambda inputs: None
    stub._clip_grad_norm = lambda model: torch.tensor(0.0)
    stub._get_grad_norm = lambda model, grad_norm=None: grad_norm
    stub._get_learning_rate = lambda: scheduler.get_last_lr()[0]
    stub.get_batch_samples = types.MethodType(Trainer.get_batch_samples, stub)
    stub._get_num_items_in_batch = types.MethodType(Trainer._get_num_items_in_batch, stub)

    current_epoch = [0]

    def training_step(model, inputs, num_items):
        micro.append([current_epoch[0], inputs["batch"], None])
        return torch.tensor(0.0)

    pending_update = [False]

    def maybe_log_save_evaluate(tr_loss, grad_norm, model, trial, epoch, ignore, start, learning_rate=None):
        # Called after every optimizer step and once at every epoch end: record what the flow callback asked for.
        where = "step" if pending_update[0] else "epoch_end"
        pending_update[0] = False
        events.append([where, state.global_step, state.epoch, control.should_log, control.should_evaluate,
                       control.should_save])
        control.should_log = control.should_evaluate = control.should_save = False

    def record_step():
        micro[-1][2] = True
        pending_update[0] = True
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()

    stub.optimizer = types.SimpleNamespace(step=record_step)
    stub.training_step = training_step
    stub._maybe_log_save_evaluate = maybe_log_save_evaluate

    for epoch in range(num_train_epochs):
        current_epoch[0] = epoch
        Trainer._run_epoch(
            stub, model=torch.nn.Linear(1, 1), epoch=epoch, train_dataloader=dataloader, steps_in_epoch=steps_in_epoch,
            num_update_steps_per_epoch=upe, trial=None, ignore_keys_for_eval=None, start_time=0.0,
            resume_from_checkpoint=None, epochs_trained=0, steps_trained_in_current_epoch=0,
        )
        if control.should_training_stop:
            break
    for m in micro:
        m[2] = bool(m[2])
    return {
        "num_update_steps_per_epoch": upe,
        "max_steps": max_steps,
        "num_train_epochs": num_train_epochs,
        "warmup_steps": warmup,
        "logging_steps": state.logging_steps,
        "eval_steps": state.eval_steps,
        "save_steps": state.save_steps,
        "final_epoch": state.epoch,
        "global_step": state.global_step,
        "micro": micro,
        "lrs": lrs,
        "events": events,
    }


def state_case(case):
    """Loads trainer_state.json text written by embedforge with HF's TrainerState; returns what HF writes back."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "trainer_state.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(case["text"])
        state = TrainerState.load_from_json(path)
        state.save_to_json(path)
        with open(path, encoding="utf-8") as f:
            return f.read()


def rotate_case(case):
    """transformers' rotate_checkpoints over checkpoint-<step> folders for `steps`; returns the names left."""
    with tempfile.TemporaryDirectory() as tmp:
        for step in case["steps"]:
            os.mkdir(os.path.join(tmp, f"checkpoint-{step}"))
        best = None if case["best"] is None else os.path.join(tmp, f"checkpoint-{case['best']}")
        rotate_checkpoints(tmp, save_total_limit=case["limit"], best_model_checkpoint=best, use_mtime=False)
        return sorted(os.listdir(tmp), key=lambda name: int(name.split("-")[1]))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    handler = {"args": args_case, "schedules": schedule_case, "steps": steps_case, "state": state_case, "rotate": rotate_case}[mode]
    print(json.dumps([handler(c) for c in cases]))


if __name__ == "__main__":
    main()
