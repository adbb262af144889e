"""SFT on the tiny model: loss only on answer tokens, the adapter moves, a resumed run matches."""

import shutil
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

from sprec.config import SFTSettings
from sprec.llm.model import add_lora, load_model
from sprec.llm.prompts import Prompter
from sprec.train.sft import sft_summary, tokenized, train_sft, training_subset, trl_config


def test_labels_cover_exactly_the_answer(tiny_cfg, goodreads_dataset, tmp_path):
    from trl import SFTTrainer

    model, tok = load_model(tiny_cfg)
    prompter = Prompter(tok, goodreads_dataset.catalog, goodreads_dataset.item_noun)
    rows = goodreads_dataset.splits["train"][:4]
    s = SFTSettings(examples=4, batch_size=4, eval_examples=0)
    trainer = SFTTrainer(model=add_lora(model, tiny_cfg.lora), args=trl_config(s, tmp_path, False, 4),
                         train_dataset=tokenized(prompter, rows), processing_class=tok)  # fmt: skip
    batch = next(iter(trainer.get_train_dataloader()))
    answers = {tuple(prompter.answer_ids(e.target)) for e in rows}
    for ids, labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist(), strict=True):
        trained = [t for t, lab in zip(ids, labels, strict=True) if lab != -100]
        assert tuple(trained) in answers  # the quoted title and its EOS, nothing of the prompt
        assert trained[-1] == tok.eos_token_id
    # the trainer's loss is the mean cross-entropy over those answer tokens only
    trainer.model.eval()
    with torch.no_grad():
        out = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        logits, labels = out.logits[:, :-1], batch["labels"][:, 1:]
        manual = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        loss = trainer.model(**{k: batch[k] for k in ("input_ids", "attention_mask", "labels")}).loss
    assert torch.allclose(loss, manual, atol=1e-5)


def _adapter(out):
    return load_file(out / "adapter" / "adapter_model.safetensors")


def test_training_moves_the_adapter_and_resume_matches(tiny_cfg, goodreads_dataset, tmp_path):
    s = SFTSettings(examples=8, epochs=2, batch_size=4, eval_examples=4, eval_every=2, save_every=2, learning_rate=1e-3)
    full = tmp_path / "full"
    train_sft(goodreads_dataset, tiny_cfg, s, full)
    weights = _adapter(full)
    assert all(w.abs().sum() > 0 for k, w in weights.items() if "lora_B" in k)  # B starts at zero
    summary = sft_summary(full)
    assert summary["examples"] == 8 and len(summary["eval_loss"]) == 2

    # the same run killed while checkpoint-4 was being saved: it is empty; rerunning resumes from checkpoint-2
    part = tmp_path / "part"
    shutil.copytree(full, part)
    shutil.rmtree(part / "adapter")
    shutil.rmtree(part / "checkpoints/checkpoint-4")
    (part / "checkpoints/checkpoint-4").mkdir()
    (part / "sft_done.json").unlink()
    train_sft(goodreads_dataset, tiny_cfg, s, part)
    assert sft_summary(part)["resumed_from"].endswith("checkpoint-2")
    resumed = _adapter(part)
    assert all(torch.allclose(resumed[k], weights[k], atol=1e-6) for k in weights)
    # the recorded loss is the whole stage's, not only the resumed steps'
    assert sft_summary(part)["train_loss"] == pytest.approx(summary["train_loss"], rel=1e-4)


def test_two_processes_train_the_same_adapter_bit_for_bit(tiny_model_dir, goodreads_dataset, tmp_path):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        r = subprocess.run([sys.executable, "-m", "sprec.cli", "train", "sft", "--data", str(goodreads_dataset.path),
                            "--model", str(tiny_model_dir), "--examples", "2", "--batch-size", "2", "--out", str(out)],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
        assert r.returncode == 0, r.stderr
    a, b = (_adapter(out) for out in outs)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], torch.zeros_like(a[k])) for k in a if "lora_A" in k)


def test_training_subset_is_seeded(goodreads_dataset):
    rows = goodreads_dataset.splits["train"]
    a, b = training_subset(rows, 16, 3), training_subset(rows, 16, 3)
    assert a == b and training_subset(rows, 16, 4) != a and all(e.target is not None for e in a)


def test_popularity_weights_hand_worked():
    from sprec.data.dataset import Example
    from sprec.train.sft import popularity_weights

    # targets with training popularity 1, 4 and 0 (counted as 1), exponent 0.5: 1, 1/2, 1 -> mean 5/6 -> 1.2, 0.6, 1.2
    rows = [Example((0,), 0), Example((0,), 1), Example((0,), 2)]
    assert popularity_weights(rows, [1, 4, 0], 0.5) == pytest.approx([1.2, 0.6, 1.2])
    assert popularity_weights(rows, [1, 4, 0], 0.0) == [1.0, 1.0, 1.0]  # exponent 0: plain SFT


def test_weighted_answer_loss_scales_each_rows_tokens(tiny_cfg, goodreads_dataset, tmp_path):
    from sprec.train.fast import answer_nll

    model, tok = load_model(tiny_cfg)
    prompter = Prompter(tok, goodreads_dataset.catalog, goodreads_dataset.item_noun)
    rows = goodreads_dataset.splits["train"][:2]
    s = SFTSettings(examples=2, batch_size=2, eval_examples=0)
    trainer = train_class(model, tiny_cfg, s, tmp_path, tokenized(prompter, rows, [2.0, 0.0]), tok)
    batch = next(iter(trainer.get_train_dataloader()))
    assert batch["loss_weight"].tolist() == [2.0, 0.0] or batch["loss_weight"].tolist() == [0.0, 2.0]
    with torch.no_grad():
        ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
        plain, n = answer_nll(trainer.model, ids, mask, labels)
        first = int(batch["loss_weight"].argmax())
        alone, _ = answer_nll(trainer.model, ids[first : first + 1], mask[first : first + 1], labels[first : first + 1])
        weighted, n_w = answer_nll(trainer.model, ids, mask, labels, batch["loss_weight"])
    assert n == n_w and torch.allclose(weighted, 2 * alone, atol=1e-5) and not torch.allclose(weighted, plain)


def train_class(model, cfg, s, out, data, tok):
    from sprec.train.sft import _fast_sft_trainer_class

    return _fast_sft_trainer_class()(model=add_lora(model, cfg.lora), args=trl_config(s, out, False, 2),
                                     train_dataset=data, processing_class=tok)  # fmt: skip
