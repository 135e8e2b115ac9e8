"""The LiteLLM price map (``model_prices_and_context_window.json``) -> API offers.

Pure: bytes in, offers out; nothing is executed from the file (JSON only, at most ``MAX_BYTES``).
Schema: ``the reference table formats.md`` ("LiteLLM price map").

Conventions
-----------
* LiteLLM prices are USD per token; offers are USD per 1M tokens. The conversion is done in
  decimal on the number as written (``1.1e-07`` -> ``0.11`` exactly, not 0.10999999999999999).
* Field mapping (USD/token -> offer field, USD/1M tokens)::

      input_cost_per_token                 -> input
      output_cost_per_token                -> output
      cache_read_input_token_cost          -> cached_input
      cache_creation_input_token_cost      -> cache_write
      input_cost_per_token_batches         -> batch_input
      output_cost_per_token_batches        -> batch_output
      max_input_tokens                     -> max_input_tokens (context_tokens in the catalog)

* ``input_cost_per_token_cache_hit`` (DeepSeek's name for a cache read) -> ``cached_input`` when
  ``cache_read_input_token_cost`` is absent (when both are given and differ, the cache-read field
  wins and the notes say so).
* ``tiered_pricing`` (a list of ``{"range": [from, to], input_cost_per_token, output_cost_per_token,
  cache_read_input_token_cost}`` by prompt size): the tier starting at 0 gives the base prices when
  the entry has none; every other tier is kept like a long-context tier (``above_tokens`` = its
  range start). Reasoning-token prices in tiers are not imported (the notes say so).
* A top-level ``last_updated`` text (mirrors of the map add it) is the file's date: it is the
  default ``as_of`` (before the modification date) and is not counted as an entry.
* Long-context tiers (``*_above_<N>k_tokens``, N x 1000 tokens; LiteLLM bills the *whole* prompt at
  the tier rate once it is over the threshold) are kept, not applied: JSON output has
  ``long_context: [{"above_tokens", "input", "output", "cached_input", "cache_write"}]``; the YAML
  catalog entry (whose schema has no such field) states them in ``notes``. ``litellm_provider``,
  ``mode``, ``max_output_tokens`` and the LiteLLM key are kept the same way.
  Service tiers (``*_priority``, ``*_flex``), per-second, audio and image prices are not imported.
* Skipped entries are counted by reason (:data:`SKIP_REASONS`).
* Ids are ``<provider>/<model>``, lowercased and sanitised to the catalog's id pattern (characters
  outside ``a-z0-9._+-`` become ``-``); a provider prefix already in the key is not repeated.
* ``source`` is the file name; ``as_of`` the date given, else the file's date (the caller passes
  the modification date), else today's date marked "(import date)".
* ``models`` filter: a glob (``*llama*``, case-insensitive) matched against the LiteLLM key and
  the model name, or a regular expression when written ``re:<expr>`` (``re.search``, case-insensitive).
  ``providers``: LiteLLM provider names (``openai``, ``groq``...), case-insensitive.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional

from tco.core.exceptions import ImportFormatError, Problem

MAX_BYTES = 20 * 1024 * 1024  # [B] the real file is about 1.5 MB
CHAT_MODES = ("chat",)

#: LiteLLM field (USD/token) -> offer field (USD/1M tokens)
PRICE_FIELDS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write",
    "input_cost_per_token_batches": "batch_input",
    "output_cost_per_token_batches": "batch_output",
}
#: Long-context tier fields: base field + ``_above_<N>k_tokens``.
_TIER_RE = re.compile(r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
                      r"cache_creation_input_token_cost)_above_(\d+)k_tokens$")
#: Keys of each offer in the JSON output, in order (the documented interface).
OFFER_KEYS = ("id", "provider", "model", "input", "output", "cached_input", "cache_write", "batch_input",
              "batch_output", "max_input_tokens", "source", "as_of")
#: Why an entry was skipped (keys of ``skipped``).
SKIP_REASONS = {
    "sample_spec": "the documentation entry of the file",
    "not_an_object": "the value is not a JSON object",
    "non_chat_mode": "mode is not chat (embedding, image_generation, audio, rerank, ...)",
    "no_mode": "no mode given",
    "no_prices": "no input_cost_per_token / output_cost_per_token",
    "priced_per_second": "time-billed (input/output_cost_per_second), not per token",
    "zero_prices": "input and output both 0 (free tier or placeholder, not a list price)",
    "bad_price": "a price is negative or not a number",
    "provider_filter": "litellm_provider not in --providers",
    "model_filter": "key does not match --models",
    "duplicate_id": "another key gave the same offer id",
    "metadata": "a top-level text such as last_updated (the file's date, not an entry)",
}

_ID_BAD = re.compile(r"[^a-z0-9._+-]+")


@dataclass
class LiteLLMImport:
    """Offers (JSON layout, prices in USD per 1M tokens) and skip counts by reason."""

    offers: list[dict]
    skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"offers": self.offers, "skipped": dict(sorted(self.skipped.items()))}


def per_million(usd_per_token: Any) -> Optional[float]:
    """USD per 1M tokens = USD per token x 1e6 (decimal, on the number as written); None if not a number."""
    if isinstance(usd_per_token, bool) or not isinstance(usd_per_token, (int, float, str)):
        return None
    try:
        d = Decimal(str(usd_per_token).strip()) * 1_000_000
    except (InvalidOperation, ArithmeticError):  # "abc"; "1e999999" overflows the decimal context
        return None
    if not d.is_finite():
        return None
    f = float(d)
    return f if abs(f) != float("inf") else None  # "1e400" is a finite Decimal but not a float


def sanitize_segment(text: str) -> str:
    s = _ID_BAD.sub("-", str(text).lower()).strip("-._+")
    return s


def offer_id(provider: str, key: str) -> tuple[str, str]:
    """(id, model name): ``<provider>/<model>`` lowercased and sanitised; the key's provider prefix
    (``groq/...``, or ``vertex_ai/...`` for provider ``vertex_ai-llama_models``) is dropped from the model."""
    model = key
    first, _, rest = key.partition("/")
    if rest and provider and (first.lower() == provider.lower() or provider.lower().startswith(first.lower())):
        model = rest
    segs = [sanitize_segment(s) for s in f"{provider}/{model}".split("/")]
    oid = "/".join(s for s in segs if s)[:200].rstrip("-._+/")
    return oid, model


def model_matcher(pattern: Optional[str]):
    """A predicate on (key, model) for a glob or ``re:<regex>`` pattern (None: everything)."""
    if not pattern:
        return lambda key, model: True
    if pattern.startswith("re:"):
        try:
            rx = re.compile(pattern[3:], re.IGNORECASE)
        except re.error as exc:
            raise ImportFormatError([Problem("--models", None, None, f"not a valid regular expression: {exc}")]) from None
        return lambda key, model: bool(rx.search(key) or rx.search(model))
    pat = pattern.lower()
    return lambda key, model: fnmatch.fnmatchcase(key.lower(), pat) or fnmatch.fnmatchcase(model.lower(), pat)


def _date_of(as_of: Optional[str], mtime: Optional[float]) -> str:
    if as_of:
        return str(as_of)
    if mtime is not None:
        return _dt.datetime.fromtimestamp(mtime, tz=_dt.timezone.utc).date().isoformat()
    return f"{_dt.date.today().isoformat()} (import date)"


def _tiers(entry: dict) -> tuple[list[dict], bool]:
    tiers: dict[int, dict] = {}
    bad = False
    for k, v in entry.items():
        m = _TIER_RE.match(k)
        if not m:
            continue
        price = per_million(v)
        if price is None or price < 0:
            bad = True
            continue
        above = int(m.group(2)) * 1000
        tiers.setdefault(above, {"above_tokens": above})[PRICE_FIELDS[m.group(1)]] = price
    order = ["above_tokens", *PRICE_FIELDS.values()]
    return [dict(sorted(tiers[k].items(), key=lambda kv: order.index(kv[0]))) for k in sorted(tiers)], bad


def parse(data: bytes | str, name: str, *, as_of: Optional[str] = None, mtime: Optional[float] = None,
          providers: Optional[Iterable[str]] = None, models: Optional[str] = None,
          modes: Iterable[str] = CHAT_MODES) -> LiteLLMImport:
    """Parse a LiteLLM price map into offers (USD per 1M tokens) and skip counts.

    Parameters
    ----------
    data : the file's bytes (UTF-8 JSON), at most ``MAX_BYTES`` [B]
    name : file name, recorded as ``source``
    as_of : date of the prices; default the file date from ``mtime`` [s since epoch]
    providers, models : filters (module docstring)
    """
    if len(data) > MAX_BYTES:
        raise ImportFormatError([Problem(name, None, None, f"file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")])
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFormatError([Problem(name, None, None, "not UTF-8 text: expected the LiteLLM price map (JSON)")]) from None
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ImportFormatError([Problem(name, None, None, f"not valid JSON ({str(exc)[:80]}): expected the LiteLLM "
                                                           "price map (model_prices_and_context_window.json)")]) from None
    if not isinstance(doc, dict):
        raise ImportFormatError([Problem(name, None, None, "expected a JSON object keyed by model name "
                                                           "(the LiteLLM price map)")])
    source = name.replace("\\", "/").rsplit("/", 1)[-1]
    file_date = _file_date(doc.get("last_updated"))
    date = _date_of(as_of or file_date, mtime)
    wanted = {p.strip().lower() for p in providers or () if p.strip()}
    match = model_matcher(models)
    modes = tuple(modes)
    skipped: Counter = Counter()
    offers: list[dict] = []
    seen: set[str] = set()
    for key, entry in doc.items():
        if key == "sample_spec":
            skipped["sample_spec"] += 1
            continue
        if key == "last_updated" and not isinstance(entry, dict):
            skipped["metadata"] += 1
            continue
        if not isinstance(entry, dict):
            skipped["not_an_object"] += 1
            continue
        mode = entry.get("mode")
        if mode is None:
            skipped["no_mode"] += 1
            continue
        if mode not in modes:
            skipped["non_chat_mode"] += 1
            continue
        provider = str(entry.get("litellm_provider") or (key.partition("/")[0] if "/" in key else "unknown"))
        if wanted and provider.lower() not in wanted:
            skipped["provider_filter"] += 1
            continue
        oid, model = offer_id(provider, key)
        if not match(key, model):
            skipped["model_filter"] += 1
            continue
        entry, tier_notes = _with_tiers_and_cache_hit(entry)
        if entry.get("input_cost_per_token") is None or entry.get("output_cost_per_token") is None:
            per_s = entry.get("input_cost_per_second") is not None or entry.get("output_cost_per_second") is not None
            skipped["priced_per_second" if per_s else "no_prices"] += 1
            continue
        prices: dict[str, Optional[float]] = {}
        bad = False
        for src, dst in PRICE_FIELDS.items():
            if entry.get(src) is None:
                prices[dst] = None
                continue
            p = per_million(entry[src])
            if p is None or p < 0:
                bad = True
            prices[dst] = p
        if bad:
            skipped["bad_price"] += 1
            continue
        if prices["input"] == 0 and prices["output"] == 0:
            skipped["zero_prices"] += 1
            continue
        if not oid or oid in seen:
            skipped["duplicate_id"] += 1
            continue
        seen.add(oid)
        tiers, _ = _tiers(entry)
        tiers = sorted(tiers + entry.get("_tiers", []), key=lambda t: t["above_tokens"])
        max_in = entry.get("max_input_tokens")
        max_out = entry.get("max_output_tokens")
        offer = {"id": oid, "provider": provider, "model": model, **prices,
                 "max_input_tokens": int(max_in) if _is_count(max_in) else None,
                 "source": source, "as_of": date,
                 # kept beyond the documented keys
                 "litellm_key": key, "litellm_provider": entry.get("litellm_provider"), "mode": mode,
                 "max_output_tokens": int(max_out) if _is_count(max_out) else None,
                 "long_context": tiers}
        if tier_notes:
            offer["import_notes"] = tier_notes
        offers.append(offer)
    return LiteLLMImport(offers=offers, skipped=dict(skipped))


def _file_date(v: Any) -> Optional[str]:
    """YYYY-MM-DD from a top-level ``last_updated`` text (ISO), else None."""
    if isinstance(v, str) and re.match(r"^\d{4}-\d{2}-\d{2}", v.strip()):
        try:
            return _dt.date.fromisoformat(v.strip()[:10]).isoformat()
        except ValueError:
            return None
    return None


def _with_tiers_and_cache_hit(entry: dict) -> tuple[dict, list[str]]:
    """The entry with base prices from ``tiered_pricing`` (tier from 0) when it has none, the other tiers
    in ``_tiers`` (long-context layout), and ``input_cost_per_token_cache_hit`` as the cache-read price."""
    notes: list[str] = []
    hit = entry.get("input_cost_per_token_cache_hit")
    if hit is not None:
        read = entry.get("cache_read_input_token_cost")
        if read is None:
            entry = {**entry, "cache_read_input_token_cost": hit}
        elif per_million(read) != per_million(hit):
            notes.append("input_cost_per_token_cache_hit differs from cache_read_input_token_cost; the latter is used")
    tiers = entry.get("tiered_pricing")
    if not isinstance(tiers, list) or not tiers:
        return entry, notes
    out = dict(entry)
    extra: list[dict] = []
    for t in tiers:
        rng = t.get("range") if isinstance(t, dict) else None
        if not (isinstance(rng, list) and len(rng) == 2 and all(isinstance(x, (int, float)) for x in rng)):
            continue  # not a token tier (e.g. per-query search pricing)
        prices = {dst: per_million(t[src]) for src, dst in PRICE_FIELDS.items() if t.get(src) is not None}
        if any(v is None or v < 0 for v in prices.values()):
            continue
        if any(k.startswith("output_cost_per_reasoning") for k in t):
            notes.append("tiered reasoning-token prices not imported")
        if rng[0] == 0:
            for src in PRICE_FIELDS:
                if out.get(src) is None and t.get(src) is not None:
                    out[src] = t[src]
            if rng[1]:
                notes.append(f"tiered pricing: base prices up to {int(rng[1]):,} prompt tokens")
        else:
            extra.append({"above_tokens": int(rng[0]), **prices})
    out["_tiers"] = extra
    return out, list(dict.fromkeys(notes))


def _is_count(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and float(v).is_integer()


def _fmt(x: float) -> str:
    return f"{x:g}" if abs(x) >= 1e-4 or x == 0 else repr(x)


def offer_to_entry(offer: dict) -> dict:
    """An offer as an ``api_offers:`` catalog entry (:class:`tco.catalog.ApiOfferEntry` fields only;
    provider, mode, max tokens and long-context tiers go in ``notes``)."""
    e: dict[str, Any] = {"id": offer["id"], "provider": offer["provider"] or "unknown", "model_name": offer["model"]}
    for k in ("input", "output", "cached_input", "cache_write", "batch_input", "batch_output"):
        if offer.get(k) is not None:
            e[k] = offer[k]
    if offer.get("max_input_tokens"):
        e["context_tokens"] = offer["max_input_tokens"]
    e["source"] = offer["source"]
    e["as_of"] = offer["as_of"]
    e["kind"] = "sourced"
    e["notes"] = entry_notes(offer)
    return e


def entry_notes(offer: dict) -> str:
    parts = [f"LiteLLM key '{offer.get('litellm_key', offer['model'])}' (litellm_provider {offer.get('litellm_provider')}, "
             f"mode {offer.get('mode')}"]
    if offer.get("max_input_tokens"):
        parts.append(f", max input {offer['max_input_tokens']} tokens")
    if offer.get("max_output_tokens"):
        parts.append(f", max output {offer['max_output_tokens']} tokens")
    parts.append(")")
    text = "".join(parts) + "."
    for n in offer.get("import_notes") or ():
        text += f" {n[0].upper()}{n[1:]}."
    for t in offer.get("long_context") or ():
        fields = ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in t.items() if k != "above_tokens")
        text += (f" Long-context tier above {t['above_tokens']:,} input tokens (whole prompt billed at it): "
                 f"{fields} USD/1M tokens.")
    return text


def to_catalog_doc(result: LiteLLMImport) -> dict:
    """``{"api_offers": [...]}``: an API catalog document of the imported offers."""
    return {"api_offers": [offer_to_entry(o) for o in result.offers]}


#: Fields a merge takes from LiteLLM for an id already in the catalog; the rest (display provider,
#: model_name, serves_model, kind) stays as the catalog has it.
MERGE_FIELDS = ("input", "output", "cached_input", "cache_write", "batch_input", "batch_output", "context_tokens",
                "source", "as_of", "notes")


#: Fields whose values decide whether an entry changed (provenance follows the values).
VALUE_FIELDS = ("input", "output", "cached_input", "cache_write", "batch_input", "batch_output", "context_tokens")


def _same_values(a: dict, b: dict) -> bool:
    def v(e, k):
        x = e.get(k)
        return None if x is None else float(x)

    return all(v(a, k) == v(b, k) for k in VALUE_FIELDS)


def merge_entries(existing: list[dict], imported: list[dict]) -> list[dict]:
    """Existing catalog entries updated with imported ones.

    Same id and the same prices and context: the entry is kept as it is (its curated ``as_of``,
    ``source`` and notes stay). Same id, different values: prices, context, source and as_of
    replaced (a price LiteLLM does not give is removed; the entry's own notes stay, LiteLLM's notes
    are used only when it has none). New ids appended; nothing removed.
    """
    by_id = {e["id"]: e for e in imported}
    out = []
    for e in existing:
        new = by_id.pop(e.get("id"), None) if isinstance(e, dict) else None
        if new is None or _same_values(e, new):
            out.append(e)
            continue
        merged = {k: v for k, v in e.items() if k not in MERGE_FIELDS}
        merged.update({k: new[k] for k in MERGE_FIELDS if k in new})
        if e.get("notes"):  # curated notes stay (a one-price change is a one-price diff, plus source/as_of)
            merged["notes"] = e["notes"]
        if e.get("serves_model") and "serves_model" not in merged:
            merged["serves_model"] = e["serves_model"]
        out.append(merged)
    out.extend(by_id.values())
    return out


__all__ = ["parse", "LiteLLMImport", "offer_to_entry", "to_catalog_doc", "merge_entries", "per_million", "offer_id",
           "model_matcher", "OFFER_KEYS", "SKIP_REASONS", "PRICE_FIELDS", "MAX_BYTES"]
