from sprec.llm.padding import pad_left, pad_right


def test_prompts_pad_on_the_left_and_answers_on_the_right():
    rows = [[5, 6, 7], [8]]
    ids, mask = pad_left(rows, pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    ids, mask = pad_right(rows, pad_id=-1)
    assert ids.tolist() == [[5, 6, 7], [8, -1, -1]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]
