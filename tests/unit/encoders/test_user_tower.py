from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from encoders.user_tower import LearnedGate, RecencyPoolingTower
from kernel.data import read_event_log
from kernel.rejects import RejectLog


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_gate_leans_harder_toward_history_that_resembles_the_query() -> None:
    gate = LearnedGate(np.zeros(3, np.float32), np.zeros(3, np.float32), w_similarity=6.0, bias=-3.0, max_weight=1.0)
    query = _unit(1, 0, 0)
    near, far = _unit(1, 1, 0), _unit(0, 0, 1)
    assert gate.weight(query, near) > 0.5 > gate.weight(query, far)
    fused = gate.fuse(query, near)
    assert np.linalg.norm(fused) == pytest.approx(1.0, abs=1e-6)
    assert float(fused @ near) > float(query @ near)


def test_a_gate_survives_its_json_file(tmp_path: Path) -> None:
    gate = LearnedGate(_unit(1, 2, 3), _unit(3, 2, 1), 0.5, -0.25, 0.8)
    (tmp_path / "gate.json").write_text(json.dumps(gate.to_dict()))
    loaded = LearnedGate.load(tmp_path / "gate.json")
    query, user = _unit(1, 0, 1), _unit(0, 1, 1)
    assert loaded.weight(query, user) == pytest.approx(gate.weight(query, user), abs=1e-6)


@pytest.mark.parametrize(("max_weight", "projection"), [(0.7, False), (1.5, True)])
def test_the_torch_gate_and_the_served_gate_agree(max_weight: float, projection: bool) -> None:
    torch = pytest.importorskip("torch")
    from encoders.personalization import UserGate

    module = UserGate(3, max_weight=max_weight, projection=projection)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn_like(parameter))
    query, user = _unit(1, 2, 0), _unit(0, 1, 2)
    trained = module(torch.tensor(query[None]), torch.tensor(user[None]))[0].detach().numpy()
    np.testing.assert_allclose(module.to_learned_gate().fuse(query, user), trained, atol=1e-5)
    # A zero user vector (no history, or dropped out) leaves the query as it was.
    plain = module(torch.tensor(query[None]), torch.zeros(1, 3))[0].detach().numpy()
    np.testing.assert_allclose(plain, query, atol=1e-6)


def test_a_projected_gate_fuses_the_projected_history_and_survives_its_json_file(tmp_path: Path) -> None:
    swap = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], np.float32)  # reads a history's first axis as its second
    gate = LearnedGate(np.zeros(3, np.float32), np.zeros(3, np.float32), 0.0, 0.0, 2.0, user_projection=swap)
    query, user = _unit(1, 0, 0), _unit(1, 0, 0)
    fused = gate.fuse(query, user)
    assert float(fused[1]) > 0.5 and float(fused @ user) < 0.99  # leaned toward the projected history, not the raw one
    (tmp_path / "gate.json").write_text(json.dumps(gate.to_dict()))
    np.testing.assert_allclose(LearnedGate.load(tmp_path / "gate.json").fuse(query, user), fused, atol=1e-6)


def test_an_untrained_projection_changes_nothing() -> None:
    torch = pytest.importorskip("torch")
    from encoders.personalization import UserGate

    query, user = torch.tensor(_unit(1, 2, 0)[None]), torch.tensor(_unit(0, 1, 2)[None])
    np.testing.assert_allclose(
        UserGate(3, projection=True)(query, user).detach().numpy(), UserGate(3)(query, user).detach().numpy(), atol=1e-6
    )


def test_a_known_profile_moves_a_cold_shoppers_query_and_an_unknown_one_does_not(tmp_path: Path) -> None:
    offsets = {
        "region=south": np.array([0, 0.5, 0], np.float32),
        "customer_type=pro": np.array([0, 0, 0.5], np.float32),
    }
    gate = LearnedGate(np.zeros(3, np.float32), np.zeros(3, np.float32), 0.0, 0.0, 1.0, demographic_offsets=offsets)
    query = _unit(1, 0, 0)
    fused = gate.fuse(query, None, {"region": "south", "customer_type": "pro"})
    np.testing.assert_allclose(fused, _unit(1, 0.5, 0.5), atol=1e-6)  # both offsets added, then renormalized
    np.testing.assert_allclose(gate.fuse(query, None, {"region": "north"}), query, atol=1e-6)
    np.testing.assert_allclose(gate.fuse(query, None, None), query, atol=1e-6)
    assert gate.demographic_offset({"region": "north"}) is None
    (tmp_path / "gate.json").write_text(json.dumps(gate.to_dict()))
    loaded = LearnedGate.load(tmp_path / "gate.json")
    np.testing.assert_allclose(
        loaded.fuse(query, _unit(0, 1, 1), {"region": "south"}),
        gate.fuse(query, _unit(0, 1, 1), {"region": "south"}),
        atol=1e-6,
    )


def test_the_torch_gate_and_the_served_gate_agree_on_profiles() -> None:
    torch = pytest.importorskip("torch")
    from encoders.personalization import UserGate

    module = UserGate(3, projection=True, demographics=["customer_type=pro", "region=south", "region=west"])
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn_like(parameter))
    query, user = _unit(1, 2, 0), _unit(0, 1, 2)
    rows = torch.tensor([[1, 0], [2, -1], [-1, -1]])  # south + pro, west only, no profile (cold, history zeroed)
    users = torch.tensor(np.stack([user, user, np.zeros(3, np.float32)]))
    trained = module(torch.tensor(np.stack([query] * 3)), users, rows).detach().numpy()
    served = module.to_learned_gate()
    profiles = [{"region": "south", "customer_type": "pro"}, {"region": "west"}, {}]
    for row, profile, history in zip(trained, profiles, [user, user, None], strict=True):
        np.testing.assert_allclose(served.fuse(query, history, profile), row, atol=1e-5)
    np.testing.assert_allclose(trained[2], query, atol=1e-6)


def test_histories_are_aged_at_the_search_time_and_pooled_per_shopper(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from encoders.histories import purchases_at, user_vectors

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    events = [
        {"user_id": "u1", "product_id": "a", "quantity": 1, "timestamp": (now - dt.timedelta(days=90)).isoformat()},
        {"user_id": "u1", "product_id": "b", "quantity": 1, "timestamp": now.isoformat()},
        {"user_id": "u2", "product_id": "gone", "quantity": 1, "timestamp": now.isoformat()},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    histories = purchases_at(read_event_log(path, RejectLog(tmp_path / "rejects.jsonl")).histories, now)
    assert [round(p.age_days) for p in histories["u1"]] == [90, 0]
    table = {"a": _unit(1, 0), "b": _unit(0, 1)}
    vectors = user_vectors(
        {"u1": histories["u1"]}, lambda ids: np.stack([table[i] for i in ids]), RecencyPoolingTower(half_life_days=90)
    )
    assert float(vectors["u1"][1]) > float(vectors["u1"][0]) > 0  # the recent purchase counts twice as much


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        ("judged", [[0, 1, 2], [3, -1, -1]]),
        ("clicked", [[0, 2, -1], [3, -1, -1]]),
        ("purchased", [[0, -1, -1], [3, -1, -1]]),
    ],
)
def test_tower_targets_are_the_purchase_plus_judged_or_clicked_products(
    targets: str, expected: list[list[int]]
) -> None:
    pytest.importorskip("torch")
    from encoders.samplers import TrainingExample
    from encoders.training_args import TowerTargets
    from encoders.user_tower_training import target_matrix
    from kernel.product import Product

    products = [Product(id=i, title=f"bench {i}") for i in ("p0", "p1", "p2", "p3")]
    examples = [
        TrainingExample("bench", products[0], frozenset({"p1", "p2", "gone"}), clicked=frozenset({"p2"})),
        TrainingExample("saw", products[3]),
    ]
    matrix = target_matrix(examples, {p.id: i for i, p in enumerate(products)}, TowerTargets(targets))
    assert matrix.tolist() == [row[: matrix.shape[1]] for row in expected]
