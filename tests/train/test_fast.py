"""The fast step computes the same loss and gradients as the plain full-logits computation."""

import torch

from sprec.llm.logprobs import separate_logps, sequence_logps, shared_prompt_logps
from sprec.llm.model import add_lora, load_model
from sprec.train.fast import answer_nll, plain_answer_loss
from sprec.train.losses import sequence_logps as logps_from_logits


def _batch(vocab):
    torch.manual_seed(1)
    ids = torch.randint(3, vocab, (3, 12))
    mask = torch.ones_like(ids)
    mask[1, :4] = 0  # a left-padded row
    labels = torch.full_like(ids, -100)
    labels[0, 8:] = ids[0, 8:]  # answers of different lengths
    labels[1, 10:] = ids[1, 10:]
    labels[2, 5:] = ids[2, 5:]
    return ids, mask, labels


def test_fast_loss_and_gradients_equal_the_plain_ones(tiny_cfg):
    model, _ = load_model(tiny_cfg)
    model = add_lora(model, tiny_cfg.lora)
    model.eval()  # no dropout, so both passes see the same function
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.1)
    ids, mask, labels = _batch(model.config.vocab_size)

    def grads(loss):
        model.zero_grad()
        loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    plain = plain_answer_loss(model, ids, mask, labels)
    g_plain = grads(plain)
    nll, n = answer_nll(model, ids, mask, labels)
    fast = nll / n
    g_fast = grads(fast)
    assert n.item() == 4 + 2 + 7
    assert torch.allclose(fast, plain, atol=1e-5)
    assert all(torch.allclose(g_fast[k], g_plain[k], atol=1e-5) for k in g_plain)
    with torch.no_grad():
        full = logps_from_logits(model(input_ids=ids, attention_mask=mask).logits, labels)
        assert torch.allclose(sequence_logps(model, ids, mask, labels), full, atol=1e-4)


def test_shared_prompt_logps_equal_separate_passes_with_gradients(tiny_cfg):
    model, tok = load_model(tiny_cfg)
    model = add_lora(model, tiny_cfg.lora)
    model.eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.1)
    prompts = [[11, 12, 13, 14, 15], [21, 22, 23]]  # different prompt lengths
    answers = [[[31, 32, 2], [41, 2]], [[51, 2], [61, 62, 63, 2]]]  # chosen + one rejected, different lengths
    pad = tok.pad_token_id

    def grads(loss):
        model.zero_grad()
        loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}

    shared = shared_prompt_logps(model, prompts, answers, pad)
    weights = torch.tensor([[1.0, -0.5], [0.3, 2.0]])
    g_shared = grads((shared * weights).sum())
    separate = []
    for p, row in zip(prompts, answers, strict=True):
        for a in row:
            ids = torch.tensor([p + a])
            labels = torch.tensor([[-100] * len(p) + a])
            separate.append(sequence_logps(model, ids, torch.ones_like(ids), labels))
    separate = torch.cat(separate).view(2, 2)
    g_separate = grads((separate * weights).sum())
    assert torch.allclose(shared, separate, atol=1e-4)
    with torch.no_grad():  # the one-forward fallback used under DDP gives the same numbers
        assert torch.allclose(separate_logps(model, prompts, answers, pad), separate, atol=1e-4)
    assert all(torch.allclose(g_shared[k], g_separate[k], atol=1e-4) for k in g_separate)


def test_checkpointing_is_set_by_the_name_transformers_reads_without_a_deprecation_warning(tmp_path):
    import warnings

    from sprec.config import DPOSettings, SFTSettings
    from sprec.train.dpo import training_args
    from sprec.train.sft import trl_config

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        sft = trl_config(SFTSettings(), tmp_path, has_eval=False, n_rows=8)  # TRL's own default is on
        dpo = training_args(DPOSettings(engine="trl", gradient_checkpointing=True), tmp_path, n_pairs=8)
    assert sft.gradient_checkpointing is False and getattr(sft, "activation_checkpointing", False) is False
    assert dpo.gradient_checkpointing is True
