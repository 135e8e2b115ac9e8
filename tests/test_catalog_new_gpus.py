"""Issue 18 catalog additions: AMD Instinct and the newest NVIDIA parts, their rental offers (figures copied by hand
from the reference gpus_new.csv and gpu_rental_new.csv)."""
from __future__ import annotations

import pytest

from tco.catalog import load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.mark.parametrize("gid, memory_gb, bw, bf16, fp8", [
    ("b300", 288, 8.0, 2250, 4500),
    ("gb300", 288, 8.0, 2500, 5000),  # bf16 estimated as FP8 / 2 (the reference has none)
    ("h20", 96, 4.0, 148, 296),
    ("mi300x", 192, 5.3, 1307.4, 2614.9),
    ("mi325x", 256, 6.0, 1307.4, 2614.9),
    ("mi355x", 288, 8.0, 2500, 5000),
])
def test_new_gpus(cat, gid, memory_gb, bw, bf16, fp8):
    g = cat.gpus[gid]
    assert (g.memory_gb, g.mem_bw_tbs, g.bf16_tflops, g.fp8_tflops) == (memory_gb, bw, bf16, fp8)
    assert g.source and g.as_of


def test_gb300_bf16_says_it_is_estimated(cat):
    assert cat.gpus["gb300"].kind == "estimated" and "BF16 is NOT published" in cat.gpus["gb300"].notes


@pytest.mark.parametrize("oid, gpu, n, on_demand", [
    ("oci-bm.gpu.mi300x.8", "mi300x", 8, 48.0),
    ("oci-bm.gpu.mi355x.8", "mi355x", 8, 68.8),
    ("oci-bm.gpu.b300.8", "b300", 8, 120.0),
    ("oci-bm.gpu.gb300.4", "gb300", 4, 72.0),
    ("aws-p6-b300.48xlarge", "b300", 8, 142.416),
    ("nebius-b300-per-gpu", "b300", 1, 7.85),
    ("tensorwave-mi325x", "mi325x", 1, 1.95),
])
def test_new_rental_offers(cat, oid, gpu, n, on_demand):
    o = cat.offers[oid]
    assert (o.gpu, o.gpus_per_instance, o.usd_per_instance_hour_on_demand) == (gpu, n, on_demand)


def test_every_new_gpu_has_an_offer_except_h20(cat):
    with_offer = {o.gpu for o in cat.offers.values()}
    assert {"b300", "gb300", "mi300x", "mi325x", "mi355x"} <= with_offer
    assert "h20" not in with_offer  # none in the reference
