"""The one template: prompt text, answer = quoted title + EOS, separate tokenization, truncation."""

from sprec.llm.prompts import Prompter, user_message


def test_user_message_wording_comes_from_the_noun():
    msg = user_message(['A "quoted" title', "B"], "movie")
    assert msg.startswith("A user enjoyed these movies, oldest first:") and '"A "quoted" title", "B"' in msg


def test_prompt_and_answer(goodreads_dataset, smol_tokenizer):
    ds = goodreads_dataset
    p = Prompter(smol_tokenizer, ds.catalog, ds.item_noun, "You recommend {noun}s.")
    e = ds.splits["train"][0]
    text = p.prompt_text(e.history)
    assert text.startswith("<|im_start|>system\nYou recommend books.<|im_end|>")
    assert text.endswith("<|im_start|>assistant\n")
    assert all(f'"{ds.catalog.title(i)}"' in text for i in e.history)
    prompt, answer = p.encode(e)
    assert answer[-1] == smol_tokenizer.eos_token_id
    assert smol_tokenizer.decode(answer[:-1]) == f'"{ds.catalog.title(e.target)}"'
    assert p.stats["titles_not_round_tripping"] == 0


def test_long_histories_lose_their_oldest_items(goodreads_dataset, smol_tokenizer):
    ds = goodreads_dataset
    e = ds.splits["train"][0]
    full = Prompter(smol_tokenizer, ds.catalog, ds.item_noun).prompt_ids(e.history)
    short = Prompter(smol_tokenizer, ds.catalog, ds.item_noun, max_prompt_tokens=len(full) - 1)
    ids = short.prompt_ids(e.history)
    assert len(ids) < len(full) and short.stats["history_items_truncated"] >= 1
    assert ds.catalog.title(e.history[0]) not in smol_tokenizer.decode(ids)
    assert ds.catalog.title(e.history[-1]) in smol_tokenizer.decode(ids)
    assert short.fitted_history(e.history) == list(e.history)[-len(short.fitted_history(e.history)) :]
    assert len(short.fitted_history(e.history)) == len(e.history) - short.stats["history_items_truncated"]


def test_the_cli_says_how_much_of_a_long_history_the_prompt_holds(goodreads_dataset, smol_tokenizer, capsys):
    from sprec.cli import _say_what_the_prompt_holds

    ds = goodreads_dataset
    history = [i for e in ds.splits["train"][:20] for i in e.history][:200]
    _say_what_the_prompt_holds(Prompter(smol_tokenizer, ds.catalog, ds.item_noun), history)
    kept = len(Prompter(smol_tokenizer, ds.catalog, ds.item_noun).fitted_history(history))
    assert kept < len(history)
    assert capsys.readouterr().err == (f"kept the last {kept} of {len(history)} titles: the prompt holds 512 tokens "
                                       "(model.max_prompt_tokens)\n")  # fmt: skip
    _say_what_the_prompt_holds(Prompter(smol_tokenizer, ds.catalog, ds.item_noun), history[-3:])
    assert capsys.readouterr().err == ""  # it all fits: nothing to say
