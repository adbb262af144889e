"""`sprec serve`: the HTTP API over a finished run, and what it says to bad requests."""

import tracemalloc

import pytest
from fastapi.testclient import TestClient

from sprec.serve.app import MAX_BODY, create_app
from sprec.serve.system import RunSystem
from tests.helpers import sprec


@pytest.fixture(scope="module")
def client(finished_run):
    return TestClient(create_app(RunSystem(finished_run[0].run_dir)))


def test_health_models_and_catalog(client):
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/models").json()
    assert info["default"] == "itemknn > sft" and info["catalog_size"] == 6
    assert {m["name"]: m["kind"] for m in info["models"]}["itemknn"] == "classical"
    assert "Station Eleven" in client.get("/catalog").json()
    assert "/recommend" in client.get("/openapi.json").json()["paths"]


def test_a_history_of_titles_and_ids_gets_a_list_without_its_own_items(client):
    r = client.post("/recommend", json={"history": ["practice makes perfect", 1], "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["title"] for h in body["history"]] == ["Practice Makes Perfect",
                                                     "The Wrath and the Dawn (The Wrath and the Dawn, #1)"]  # fmt: skip
    items = body["items"]
    assert len(items) == 3 and not {i["id"] for i in items} & {"1", "2"}
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert all(0 < i["popularity_percentile"] <= 100 for i in items)
    for mix in body["genre_mix"].values():  # shares of the genre groups (fiction, romance) of items that have one
        assert set(mix) <= {"fiction", "romance"} and sum(mix.values()) <= 1 + 1e-9
    # Practice Makes Perfect: romance and fiction, 1/2 each; The Wrath and the Dawn: romance (its other genres are
    # not groups): over 2 items, fiction 1/4 and romance 3/4
    assert body["genre_mix"]["history"] == {"fiction": pytest.approx(0.25), "romance": pytest.approx(0.75)}


def test_a_user_of_the_data_gets_their_latest_history(client):
    body = client.post("/recommend", json={"user": "u1", "k": 2, "model": "popularity"}).json()
    assert body["model"] == "popularity" and len(body["history"]) >= 1 and len(body["items"]) == 2


@pytest.mark.parametrize(("payload", "status", "says"), [
    ({"history": ["station elevn"]}, 422, None),
    ({"history": []}, 422, "history: empty"),
    ({"history": ["Station Eleven"], "k": 0}, 422, "k: a list holds 1 to 6 items, got 0"),
    ({"history": ["Station Eleven"], "k": 7}, 422, "k: a list holds 1 to 6 items, got 7"),
    ({"history": ["Station Eleven"], "k": "ten"}, 422, "k: Input should be a valid integer"),
    ({"history": ["Station Eleven"], "model": "sasrec"}, 422, "model: 'sasrec' is not served"),
    ({"history": [99]}, 422, "history: item id 99 is not in the catalog"),
    ({"history": ["Station Eleven"], "user": "u1"}, 422, "give history or user, not both"),
    ({"user": "nobody"}, 422, "user: 'nobody' has no row"),
    ({"history": ["Station Eleven"], "colour": 1}, 422, "colour: Extra inputs are not permitted"),
])  # fmt: skip
def test_bad_requests_get_a_one_line_reason(client, payload, status, says):
    r = client.post("/recommend", json=payload)
    assert r.status_code == status
    detail = r.json()["detail"]
    if says is None:  # an unknown title: its close matches
        assert detail["close_matches"] == ["Station Eleven"]
    else:
        assert detail.startswith(says) and "\n" not in detail


def test_a_body_over_a_megabyte_is_refused_before_parsing(client):
    r = client.post("/recommend", content=b"x" * (MAX_BODY + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"].startswith("body: over")


def test_malformed_bodies_leave_the_server_answering_with_flat_memory(client):
    def bad_requests(n):
        for i in range(n):
            r = client.post("/recommend", content=b"{not json" + bytes([i % 256]) * i,
                            headers={"content-type": "application/json"})  # fmt: skip
            assert r.status_code in (400, 422) and "\n" not in str(r.json()["detail"])  # 400: not UTF-8

    bad_requests(20)  # warm up caches
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    bad_requests(200)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 512 * 1024, f"memory grew by {grown} bytes over 200 malformed requests"
    assert client.post("/recommend", json={"history": ["Station Eleven"], "k": 2}).status_code == 200


def test_serve_names_a_missing_model_in_one_line(finished_run):
    done = sprec("serve", finished_run[0].run_dir, "--models", "sasrec")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "model 'sasrec' is not finished in this run" in done.stderr
