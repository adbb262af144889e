from sprec.train.checkpoints import resume_point, stage_loss


def _checkpoint(folder, step, complete):
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "trainer_state.json").write_text("{}")
    if complete:
        (path / "rng_state.pth").write_bytes(b"")
    return path


def test_resume_from_the_newest_complete_checkpoint_and_drop_a_newer_half_written_one(tmp_path, capsys):
    assert resume_point(tmp_path) is None  # nothing saved yet: start afresh
    _checkpoint(tmp_path, 50, complete=True)
    newest_complete = _checkpoint(tmp_path, 100, complete=True)
    killed = _checkpoint(tmp_path, 150, complete=False)  # killed while it was saved
    (tmp_path / "checkpoint-final").mkdir()  # not a step: ignored
    assert resume_point(tmp_path) == newest_complete  # 100, not 50: numeric order, not text order
    assert not killed.exists() and "incomplete" in capsys.readouterr().err


def test_stage_loss_is_the_mean_over_every_session_of_the_stage():
    history = [{"loss": 2.0, "step": 1}, {"eval_loss": 9.0}, {"loss": 1.0, "step": 2}, {"train_loss": 7.0}]
    assert stage_loss(history, fallback=5.0) == 1.5
    assert stage_loss([], fallback=5.0) == 5.0
