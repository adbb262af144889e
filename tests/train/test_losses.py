"""Hand-worked rows for the preference losses (torchtune's habit: the arithmetic is in the test)."""

import math

import pytest
import torch

from sprec.train.losses import dpo_loss, sdpo_loss, sequence_logps

T = torch.tensor


def softplus(x):
    return math.log1p(math.exp(x))


def test_dpo_three_rows():
    # row 1: h_w = -1 - (-2) = 1, h_l = -3 - (-3) = 0, beta 0.5 -> margin 0.5, loss = log(1 + e^-0.5)
    # row 2: equal policy and reference -> margin 0, loss = log 2
    # row 3: h_w = -1, h_l = +2 -> margin 0.5 * -3 = -1.5, loss = log(1 + e^1.5)
    losses, chosen, rejected = dpo_loss(T([-1.0, -2.0, -4.0]), T([-3.0, -5.0, -1.0]), T([-2.0, -2.0, -3.0]),
                                        T([-3.0, -5.0, -3.0]), beta=0.5)  # fmt: skip
    assert torch.allclose(losses, T([softplus(-0.5), math.log(2), softplus(1.5)]))
    assert torch.allclose(chosen, T([0.5, 0.0, -0.5])) and torch.allclose(rejected, T([0.0, 0.0, 1.0]))


def test_sdpo_hand_worked_and_equal_to_dpo_with_one_negative():
    # one row, beta 1, h_w = 0, two negatives with h = 0 and log 3 -> sum exp = 1 + 3 = 4
    # loss = -log sigmoid(-log 4) = log(1 + 4) = log 5
    losses, _, _ = sdpo_loss(T([0.0]), T([[0.0, math.log(3)]]), T([0.0]), T([[0.0, 0.0]]), beta=1.0)
    assert torch.allclose(losses, T([math.log(5)]))
    # a masked (padding) negative changes nothing: only the first counts -> log(1 + 1) = log 2
    masked, _, _ = sdpo_loss(T([0.0]), T([[0.0, 9.0]]), T([0.0]), T([[0.0, 0.0]]), 1.0, T([[True, False]]))
    assert torch.allclose(masked, T([math.log(2)]))
    pc, pr, rc, rr = torch.randn(4, 5).unbind(0)
    dpo, _, _ = dpo_loss(pc, pr, rc, rr, beta=0.1)
    sdpo, _, _ = sdpo_loss(pc, pr[:, None], rc, rr[:, None], beta=0.1)
    assert torch.allclose(dpo, sdpo, atol=1e-6)


def test_sequence_logps_counts_only_labelled_tokens():
    # vocabulary of 2, uniform logits -> every token has log-prob log 1/2; two labelled tokens -> 2 log 1/2
    logits = torch.zeros(1, 4, 2)
    labels = T([[-100, -100, 1, 0]])
    assert torch.allclose(sequence_logps(logits, labels), T([2 * math.log(0.5)]))


def test_dmpo_hand_worked_against_the_average_negative_and_equal_to_dpo_with_one():
    from sprec.train.losses import dmpo_loss

    # beta 0.5: chosen reward 0.5 * (2 - 0) = 1; rejected rewards 0.5 * 1 = 0.5 and 0.5 * 3 = 1.5, average 1
    # -> margin 0, loss log 2; masking the second negative: average 0.5, margin 0.5, loss log(1 + e^-0.5)
    args = (T([2.0]), T([[1.0, 3.0]]), T([0.0]), T([[0.0, 0.0]]), 0.5)
    assert dmpo_loss(*args)[0].item() == pytest.approx(math.log(2))
    assert dmpo_loss(*args, T([[True, False]]))[0].item() == pytest.approx(softplus(-0.5))
    # S-DPO on the same row differs: -log sigmoid(-log(e^(0.5-1) + e^(1.5-1)))
    assert sdpo_loss(*args)[0].item() == pytest.approx(softplus(math.log(math.exp(-0.5) + math.exp(0.5))))
    one = (T([-1.0]), T([[-3.0]]), T([-2.0]), T([[-3.0]]), 0.5)
    assert dmpo_loss(*one)[0].item() == pytest.approx(dpo_loss(*(x.flatten() for x in one[:4]), 0.5)[0].item())


def test_candidate_softmax_loss_hand_worked():
    from sprec.train.losses import candidate_softmax_loss

    logps = T([-1.0, -2.0, -3.0])
    # summed: -log(e^-1 / (e^-1 + e^-2 + e^-3)) = log(1 + e^-1 + e^-2)
    assert candidate_softmax_loss(logps, 0).item() == pytest.approx(math.log(1 + math.exp(-1) + math.exp(-2)))
    # the same candidates scored per token (lengths 1, 2, 3): all -1, chance level log 3 whichever is the target
    for target in range(3):
        assert candidate_softmax_loss(logps, target, T([1, 2, 3])).item() == pytest.approx(math.log(3))
    assert candidate_softmax_loss(logps, 2).item() == pytest.approx(2 + math.log(1 + math.exp(-1) + math.exp(-2)))
    # calibrated: priors -1, -3, -1 make the scores 0, 1, -2: -log(e^1 / (1 + e^1 + e^-2)) for the second
    prior = T([-1.0, -3.0, -1.0])
    assert candidate_softmax_loss(logps, 1, prior=prior).item() == pytest.approx(
        math.log(1 + math.exp(1) + math.exp(-2)) - 1)
    # calibrated, then per token (lengths 1, 2, 2): scores 0, 0.5, -1
    assert candidate_softmax_loss(logps, 0, T([1, 2, 2]), prior).item() == pytest.approx(
        math.log(1 + math.exp(0.5) + math.exp(-1)))
