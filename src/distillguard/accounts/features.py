"""Per-account behaviour, aggregated in the engine (one pass of group-bys over every request).

Everything here is an Ibis expression, so it runs unchanged on DuckDB or Spark; only the per-account
result (one row per account) comes back to Python. Features describe *how* an account uses the API:
volume, conversation structure (and whether its tool definitions ever start a tool loop), output
budget, sampling settings, timing, infrastructure spread, and how fast it moved to a newly released
model.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

HOURS = 24

# Requests to a model first seen this long after the log starts count as a "new model" release.
_RELEASE_MARGIN_SECONDS = 24 * 3600
_PIVOT_WINDOW_SECONDS = 48 * 3600


def _share(cond: ir.BooleanValue) -> ir.FloatingScalar:
    return cond.cast("float64").mean()


def account_features(t: ir.Table) -> ir.Table:
    """One row per account with behaviour features. ``t`` must be :func:`conform`-ed."""
    t = t.mutate(
        _hour=t.timestamp.hour(),
        _day=t.timestamp.date(),
        _first_turn=t.turn_index.fill_null(0) == 0,
        _phash=t.prompt.lower().hash(),
        _ratio=(t.output_tokens.cast("float64") + 1.0) / (t.input_tokens.cast("float64") + 1.0),
    )
    # Conversation continuity: logged turns / turns implied by the highest turn index.
    # Tools without a loop: of the requests that carry tool definitions, the share whose
    # conversation has no other logged turn. A real agent sends each tool result back in a next
    # turn of the same conversation; a request that defines tools and is never continued asked
    # for the whole run at once (or is a one-shot function call). Requests without a
    # conversation id cannot say, so they are left out (null when none is left).
    conv = (
        t.filter(t.conversation_id.notnull())
        .group_by(["account_id", "conversation_id"])
        .aggregate(
            _logged=ibis._.count(),
            _implied=(ibis._.turn_index.fill_null(0).max() + 1),
            _tools=(ibis._.tool_count.fill_null(0) > 0).cast("int64").sum(),
        )
        .group_by("account_id")
        .aggregate(
            n_conversations=ibis._.count(),
            continuity=(ibis._._logged.sum().cast("float64") / ibis._._implied.sum()),
            multi_turn_conv_share=_share(ibis._._logged > 1),
            tool_no_loop_share=(
                ibis.ifelse(ibis._._logged == 1, ibis._._tools, 0).sum().cast("float64")
                / ibis._._tools.sum().nullif(0)
            ),
        )
    )
    hours = {f"h{h:02d}": (t._hour == h).cast("int64").sum() for h in range(HOURS)}
    agg = t.group_by("account_id").aggregate(
        n=t.count(),
        org_id=t.org_id.arbitrary(),
        active_days=t._day.nunique(),
        first_ts=t.timestamp.min(),
        last_ts=t.timestamp.max(),
        created_at=t.account_created_at.min(),
        first_turn_share=_share(t._first_turn),
        novelty=t._phash.nunique().cast("float64") / t.count(),
        max_tokens_mean=t.max_tokens.cast("float64").log10().mean(),
        max_tokens_std=t.max_tokens.cast("float64").log10().std(),
        out_tokens_mean=(t.output_tokens.cast("float64") + 1).log10().mean(),
        in_tokens_mean=(t.input_tokens.cast("float64") + 1).log10().mean(),
        out_in_ratio=t._ratio.log10().mean(),
        temp_mean=t.temperature.mean(),
        temp_std=t.temperature.std(),
        temp_known=_share(t.temperature.notnull()),
        tool_share=_share(t.tool_count.fill_null(0) > 0),
        sys_prompts=t.system_prompt.nunique(),
        sys_prompt_share=_share(t.system_prompt.notnull()),
        prompt_len_mean=(t.prompt.length().cast("float64") + 1).log10().mean(),
        prompt_len_std=(t.prompt.length().cast("float64") + 1).log10().std(),
        n_ip=t.ip.nunique(),
        n_prefix=t.ip_prefix.nunique(),
        n_asn=t.asn.nunique(),
        n_country=t.country.nunique(),
        n_ua=t.user_agent.nunique(),
        n_tls=t.tls_fingerprint.nunique(),
        n_keys=t.api_key_id.nunique(),
        n_models=t.model.nunique(),
        error_share=_share(t.status.isin(["error", "refused"])),
        **hours,
    )
    out = agg.left_join(_gap_stats(t), "account_id").drop("account_id_right")
    out = out.left_join(conv, "account_id").drop("account_id_right")
    return out.left_join(_model_pivot(t), "account_id").drop("account_id_right")


def _gap_stats(t: ir.Table) -> ir.Table:
    """Mean, standard deviation and median of each account's inter-arrival gaps (seconds).

    The gaps are the differences of the account's sorted request times, so they do not depend on
    how requests with equal timestamps are ordered: the window sorts only ``account_id`` and the
    time, not whole request rows (a window carries every column it is given through its sort,
    and sorting prompts is what made this the most memory-hungry query of detection).
    """
    s = t.select("account_id", _epoch=t.timestamp.epoch_seconds().cast("float64"))
    order = ibis.window(group_by=s.account_id, order_by=s._epoch)
    s = s.mutate(_gap=s._epoch - s._epoch.lag().over(order))
    return s.group_by("account_id").aggregate(
        gap_mean=s._gap.mean(), gap_std=s._gap.std(), gap_median=s._gap.median()
    )


def _model_pivot(t: ir.Table) -> ir.Table:
    """How fast each account moved to models released while the log was running.

    A model counts as released in-window when it is first seen more than a day after the log
    starts. For each account active around a release, ``pivot_share`` is the share of its traffic
    in the 48 h after the release that already went to the new model (legitimate users migrate
    over days; harvesting operations switch at once).
    """
    start = t.aggregate(_start=t.timestamp.min().epoch_seconds())
    firsts = t.group_by("model").aggregate(_release=t.timestamp.min().epoch_seconds())
    releases = (
        firsts.cross_join(start)
        .filter(lambda r: r._release > r._start + _RELEASE_MARGIN_SECONDS)
        .select(_new_model=ibis._.model, _release=ibis._._release)
    )
    epoch = t.timestamp.epoch_seconds()
    joined = t.select("account_id", "model", _epoch=epoch).cross_join(releases)
    window = joined.filter(
        (joined._epoch >= joined._release)
        & (joined._epoch < joined._release + _PIVOT_WINDOW_SECONDS)
    )
    return window.group_by("account_id").aggregate(
        pivot_share=_share(window.model == window._new_model),
        pivot_requests=window.count(),
    )
