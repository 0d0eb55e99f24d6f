"""Legitimate personas: the background traffic and, above all, the hard negatives.

Each persona is a function ``(accounts, exchanges) -> Cohort``; all are listed in
:data:`PERSONAS`. Several deliberately share the surface features of campaigns (templates,
step-by-step requests, grading prompts, datacenter ASNs, shared NAT addresses, high volume, very
regular timing) so that only the combination of evidence separates them.
"""

from __future__ import annotations

from collections.abc import Callable

from distillguard.simulate.spec import (
    Cohort,
    ModelUse,
    Network,
    Population,
    Signup,
    Timing,
    Traffic,
)
from distillguard.simulate.world import RESEARCH_ASNS

PersonaFactory = Callable[[int, int], Cohort]

_DEV_CLIENTS = (
    ("openai-python", 0.25),
    ("anthropic-python", 0.2),
    ("anthropic-js", 0.08),
    ("openai-node", 0.08),
    ("langchain", 0.1),
    ("curl", 0.08),
    ("requests", 0.05),
    ("httpx", 0.04),
    ("browser", 0.08),
    ("go", 0.02),
    ("node", 0.02),
)
_ALL_CAPS = (
    ("chat", 0.35),
    ("writing", 0.15),
    ("code", 0.2),
    ("math", 0.08),
    ("agentic", 0.07),
    ("swe", 0.05),
    ("long_horizon", 0.03),
    ("sensitive", 0.02),
    ("qa_pair", 0.03),
    ("graded", 0.02),
)


def individual_developer(accounts: int, exchanges: int) -> Cohort:
    """Hobbyists and developers trying things: residential IPs, consumer e-mail, heavy-tailed
    volume, working-hours timing, short multi-turn chats, mixed sampling settings."""
    return Cohort(
        "individual_developer",
        "individual_developer",
        accounts,
        exchanges,
        Population(
            email="mixed",
            company_share=0.15,
            clients=_DEV_CLIENTS,
            volume_sigma=1.4,
            signup=Signup("old", 0, 900, 0.08),
            network=Network("residential", 1.6, roaming=0.06),
        ),
        Traffic(
            capabilities=_ALL_CAPS,
            wrappers=(("*", "plain"), ("qa_pair", "student")),
            max_tokens=((1024, 0.35), (4096, 0.35), (8192, 0.2), (16000, 0.1)),
            temperature=((1.0, 0.5), (0.7, 0.25), (0.2, 0.1), (0.0, 0.15)),
            per_account_noise=0.35,
            output_mean=500,
            system="mixed",
            model=ModelUse(0.25, 0.35, 12, 72),
        ),
        Timing("diurnal", peak_hour=15, weekend=0.45, session_mean=3.5, gap_s=70),
    )


def product_app(accounts: int, exchanges: int) -> Cohort:
    """A product with a fixed system prompt serving many end users from its backend servers:
    datacenter IPs, company domain, multi-turn sessions following end users' day."""
    return Cohort(
        "product_app",
        "product_app",
        accounts,
        exchanges,
        Population(
            email="company",
            orgs=max(accounts // 2, 1),
            payment="org",
            clients=(
                ("openai-python", 0.3),
                ("anthropic-python", 0.3),
                ("openai-node", 0.2),
                ("anthropic-js", 0.2),
            ),
            volume_sigma=1.3,
            signup=Signup("old", 0, 600, 0.03),
            network=Network("datacenter", 3.0, roaming=0.0),
        ),
        Traffic(
            capabilities=(("chat", 0.6), ("writing", 0.3), ("sensitive", 0.05), ("math", 0.05)),
            wrappers=(("*", "app"),),
            system="app",
            max_tokens=((1024, 0.6), (2048, 0.4)),
            temperature=((0.7, 0.7), (0.3, 0.3)),
            per_account_noise=0.02,
            output_mean=280,
            model=ModelUse(0.55, 0.15, 72, 240),
        ),
        Timing("diurnal", peak_hour=13, weekend=0.7, session_mean=4, gap_s=45),
    )


def enterprise_batch(accounts: int, exchanges: int) -> Cohort:
    """Nightly document pipelines: one instruction template per account over varying documents,
    a very regular cadence in a nightly burst, datacenter IPs, temperature 0."""
    return Cohort(
        "enterprise_batch",
        "enterprise_batch",
        accounts,
        exchanges,
        Population(
            email="company",
            orgs=max(accounts // 3, 1),
            payment="org",
            clients=(
                ("anthropic-python", 0.4),
                ("openai-python", 0.3),
                ("go", 0.15),
                ("requests", 0.15),
            ),
            volume_sigma=0.9,
            signup=Signup("old", 0, 500, 0.0),
            network=Network("datacenter", 2.0, roaming=0.0),
        ),
        Traffic(
            capabilities=(("writing", 0.55), ("chat", 0.2), ("long_horizon", 0.25)),
            wrappers=(("*", "batch"),),
            templates_per_account=1,
            coverage="uniform",
            conversation="none",
            max_tokens=((1024, 0.5), (2048, 0.5)),
            temperature=((0.0, 0.9), (0.2, 0.1)),
            per_account_noise=0.0,
            output_mean=350,
            model=ModelUse(0.5, 0.1, 200, 200),
        ),
        Timing("nightly", start_hour=1.0, gap_s=2.0, regular=True),
    )


def coding_agent(accounts: int, exchanges: int) -> Cohort:
    """Developers running coding agents: long multi-turn tool-using sessions, short gaps,
    large max_tokens, agent system prompt, SWE and code payloads."""
    return Cohort(
        "coding_agent",
        "coding_agent",
        accounts,
        exchanges,
        Population(
            email="mixed",
            company_share=0.5,
            clients=(("coding-agent", 0.6), ("anthropic-js", 0.2), ("anthropic-python", 0.2)),
            volume_sigma=1.1,
            signup=Signup("old", 0, 400, 0.1),
            network=Network("residential", 1.4, roaming=0.15),
        ),
        Traffic(
            capabilities=(("swe", 0.45), ("code", 0.35), ("agentic", 0.1), ("long_horizon", 0.1)),
            wrappers=(("*", "agent"),),
            system="agent",
            tools=(6, 24),
            max_tokens=((8192, 0.4), (16000, 0.4), (32000, 0.2)),
            temperature=((1.0, 0.6), (0.0, 0.4)),
            per_account_noise=0.05,
            output_mean=900,
            model=ModelUse(0.05, 0.55, 3, 48),
        ),
        Timing("diurnal", peak_hour=15, weekend=0.35, session_mean=28, gap_s=25),
    )


def eval_runner(accounts: int, exchanges: int) -> Cohort:
    """Benchmark/eval sweeps: chain-of-thought instructions ("think step by step"), single turn,
    temperature 0, bursts that cover a task set systematically, some LLM-as-judge grading,
    datacenter IPs — the closest legitimate twin of reasoning-trace harvesting."""
    return Cohort(
        "eval_runner",
        "eval_runner",
        accounts,
        exchanges,
        Population(
            email="company",
            orgs=max(accounts // 2, 1),
            payment="org",
            clients=(
                ("openai-python", 0.4),
                ("anthropic-python", 0.3),
                ("litellm", 0.2),
                ("httpx", 0.1),
            ),
            volume_sigma=0.8,
            signup=Signup("old", 0, 300, 0.1),
            network=Network("datacenter", 2.0, roaming=0.05),
        ),
        Traffic(
            capabilities=(
                ("math", 0.4),
                ("code", 0.3),
                ("graded", 0.15),
                ("agentic", 0.1),
                ("chat", 0.05),
            ),
            wrappers=(("*", "eval_cot"), ("graded", "eval_judge")),
            templates_per_account=2,
            coverage="systematic",
            conversation="single",
            max_tokens=((4096, 0.5), (8192, 0.3), (16000, 0.2)),
            temperature=((0.0, 0.9), (1.0, 0.1)),
            per_account_noise=0.03,
            output_mean=800,
            model=ModelUse(0.3, 0.6, 4, 24),
        ),
        Timing("flat", session_mean=400, gap_s=1.5, regular=False),
    )


def campus(accounts: int, exchanges: int) -> Cohort:
    """A university campus: hundreds of students behind a few NAT addresses of a research
    network, one e-mail domain, a sign-up burst at term start, homework with answers attached."""
    return Cohort(
        "campus",
        "campus",
        accounts,
        exchanges,
        Population(
            countries=(("GB", 1.0),),
            email="campus",
            payment="none",
            clients=(
                ("browser", 0.45),
                ("openai-python", 0.25),
                ("anthropic-python", 0.15),
                ("curl", 0.15),
            ),
            volume_sigma=1.2,
            signup=Signup("burst", 1.5, 3.0),
            network=Network("nat", pool_size=4, asns=(RESEARCH_ASNS[1],), roaming=0.1),
        ),
        Traffic(
            capabilities=(
                ("math", 0.25),
                ("qa_pair", 0.2),
                ("code", 0.25),
                ("writing", 0.15),
                ("chat", 0.15),
            ),
            wrappers=(("*", "student"),),
            max_tokens=((1024, 0.4), (4096, 0.6)),
            temperature=((1.0, 0.8), (0.7, 0.2)),
            output_mean=600,
            model=ModelUse(0.5, 0.25, 48, 120),
        ),
        Timing("diurnal", peak_hour=16, weekend=0.6, session_mean=3, gap_s=90),
    )


def _reseller_mix() -> Traffic:
    return Traffic(
        capabilities=_ALL_CAPS,
        wrappers=(
            ("*", "plain"),
            ("swe", "agent"),
            ("qa_pair", "student"),
            ("graded", "eval_judge"),
        ),
        system="mixed",
        max_tokens=((1024, 0.3), (4096, 0.4), (8192, 0.2), (32000, 0.1)),
        temperature=((1.0, 0.5), (0.7, 0.3), (0.0, 0.2)),
        per_account_noise=0.8,
        output_mean=550,
        model=ModelUse(0.35, 0.4, 6, 60),
    )


def reseller(accounts: int, exchanges: int) -> Cohort:
    """A legitimate API reseller/aggregator: few accounts with huge mixed traffic from many end
    users, datacenter egress across several clouds, round-the-clock timing."""
    return Cohort(
        "reseller",
        "reseller",
        accounts,
        exchanges,
        Population(
            email="company",
            payment="org",
            orgs=max(accounts // 2, 1),
            clients=(("litellm", 0.5), ("openai-python", 0.3), ("httpx", 0.2)),
            volume_sigma=0.7,
            keys_per_account=6,
            signup=Signup("old", 0, 400, 0.0),
            network=Network("datacenter", 24.0, roaming=0.0),
        ),
        _reseller_mix(),
        Timing("flat", session_mean=3, gap_s=40),
    )


def synthetic_data(accounts: int, exchanges: int) -> Cohort:
    """Customers generating synthetic training data for their own models (allowed by their
    terms): high volume, templated, broad coverage, often asking for reasoning, datacenter IPs."""
    return Cohort(
        "synthetic_data",
        "synthetic_data",
        accounts,
        exchanges,
        Population(
            email="company",
            orgs=max(accounts // 2, 1),
            payment="org",
            clients=(("openai-python", 0.4), ("anthropic-python", 0.4), ("httpx", 0.2)),
            volume_sigma=0.9,
            signup=Signup("old", 0, 250, 0.15),
            network=Network("datacenter", 3.0, roaming=0.0),
        ),
        Traffic(
            capabilities=(
                ("math", 0.25),
                ("code", 0.25),
                ("qa_pair", 0.15),
                ("writing", 0.2),
                ("chat", 0.15),
            ),
            wrappers=(("*", "synthetic"),),
            templates_per_account=2,
            coverage="systematic",
            conversation="single",
            max_tokens=((4096, 0.5), (8192, 0.5)),
            temperature=((0.8, 0.5), (1.0, 0.5)),
            per_account_noise=0.05,
            output_mean=1100,
            model=ModelUse(0.4, 0.5, 20, 48),
        ),
        Timing("diurnal", peak_hour=11, weekend=0.8, session_mean=150, gap_s=3, regular=True),
    )


def oss_agent_user(accounts: int, exchanges: int) -> Cohort:
    """Users of a popular open-source coding agent that ships ONE default system prompt (and
    one tool set) to thousands of small organisations: many orgs of 1-2 accounts, real tool
    loops (turns grow, tool results sent back, input tokens grow with the history), some
    sessions resumed in a new chat from a pasted summary of the work so far (context
    compaction), human working hours, home networks."""
    return Cohort(
        "oss_agent_user",
        "oss_agent_user",
        accounts,
        exchanges,
        Population(
            email="mixed",
            company_share=0.45,
            org_size=(1, 2),
            payment="org",
            clients=(("oss-agent", 0.85), ("node", 0.15)),
            volume_sigma=1.2,
            signup=Signup("old", 0, 500, 0.12),
            network=Network("residential", 1.5, roaming=0.12),
        ),
        Traffic(
            capabilities=(("swe", 0.45), ("code", 0.3), ("agentic", 0.1), ("long_horizon", 0.15)),
            wrappers=(("*", "agent"),),
            system="oss_agent",
            tools=(14, 16),
            state_caps=("long_horizon",),
            tool_loop=True,
            max_tokens=((8192, 0.5), (16000, 0.3), (32000, 0.2)),
            temperature=((0.0, 0.5), (1.0, 0.3), (0.7, 0.2)),
            per_account_noise=0.02,
            output_mean=700,
            model=ModelUse(0.1, 0.5, 6, 48),
        ),
        Timing("diurnal", peak_hour=15, weekend=0.4, session_mean=18, gap_s=30),
    )


def harness_runner(accounts: int, exchanges: int) -> Cohort:
    """Evaluation teams running shared SWE-bench / tau-bench style harnesses: the same harness
    system prompt across teams (orgs of 2-4 accounts), every team runs the whole task list in
    the same order (tasks repeat across teams), real multi-turn tool loops, temperature 0, cloud
    servers, and sweeps on the new model within hours of its release."""
    return Cohort(
        "harness_runner",
        "harness_runner",
        accounts,
        exchanges,
        Population(
            email="company",
            org_size=(2, 4),
            payment="org",
            clients=(("litellm", 0.4), ("openai-python", 0.3), ("anthropic-python", 0.3)),
            volume_sigma=0.5,
            signup=Signup("old", 0, 400, 0.05),
            network=Network("datacenter", 2.0, roaming=0.02),
        ),
        Traffic(
            capabilities=(("agentic", 0.5), ("swe", 0.5)),
            wrappers=(("swe", "harness_swe"), ("agentic", "harness_tau")),
            system="harness",
            coverage="sweep",
            tools=(4, 12),
            tool_loop=True,
            max_tokens=((4096, 0.5), (8192, 0.5)),
            temperature=((0.0, 1.0),),
            per_account_noise=0.0,
            output_mean=500,
            model=ModelUse(0.2, 0.7, 2, 12),
        ),
        Timing("flat", session_mean=15, gap_s=8),
    )


def trajectory_dataset(accounts: int, exchanges: int) -> Cohort:
    """A customer building a (permitted) agent-trajectory dataset for its own model: tools
    described, whole trajectories asked for in one response, never a tool loop - the same
    request shape as one-shot trajectory harvesting, from a few accounts of one company on its
    own servers, templated and steady."""
    return Cohort(
        "trajectory_dataset",
        "trajectory_dataset",
        accounts,
        exchanges,
        Population(
            email="company",
            orgs=max(accounts // 3, 1),
            payment="org",
            clients=(("openai-python", 0.5), ("anthropic-python", 0.5)),
            volume_sigma=0.6,
            signup=Signup("old", 0, 300, 0.0),
            network=Network("datacenter", 2.0, roaming=0.0),
        ),
        Traffic(
            capabilities=(("agentic", 0.6), ("swe", 0.4)),
            wrappers=(("*", "dataset_trajectory"),),
            templates_per_account=2,
            coverage="systematic",
            conversation="single",
            system="dataset",
            tools=(3, 14),
            max_tokens=((8192, 0.5), (16000, 0.5)),
            temperature=((0.8, 0.5), (1.0, 0.5)),
            per_account_noise=0.05,
            output_mean=1400,
            model=ModelUse(0.3, 0.5, 24, 48),
        ),
        Timing("diurnal", peak_hour=11, weekend=0.7, session_mean=120, gap_s=4, regular=True),
    )


PERSONAS: dict[str, PersonaFactory] = {
    "individual_developer": individual_developer,
    "product_app": product_app,
    "enterprise_batch": enterprise_batch,
    "coding_agent": coding_agent,
    "eval_runner": eval_runner,
    "campus": campus,
    "reseller": reseller,
    "synthetic_data": synthetic_data,
    "oss_agent_user": oss_agent_user,
    "harness_runner": harness_runner,
    "trajectory_dataset": trajectory_dataset,
}
