"""The ``rapport`` application: one module per command."""

from __future__ import annotations

import typer

from rapport.cli.audit_export import audit_export
from rapport.cli.backfill import backfill
from rapport.cli.catalog import catalog
from rapport.cli.challenger import app as challenger_app
from rapport.cli.dead_letters import dead_letters
from rapport.cli.decisions import audit_app, explain, replay
from rapport.cli.demo import demo
from rapport.cli.erase import erase
from rapport.cli.evaluate import app as evaluate_app
from rapport.cli.evaluate_bandit import bandit as evaluate_bandit
from rapport.cli.evaluate_policy import policy as evaluate_policy
from rapport.cli.governance import evaluate_fairness, policy_app, report_app
from rapport.cli.ingest import ingest
from rapport.cli.outcomes import outcomes
from rapport.cli.profile import profile
from rapport.cli.serve import keys_app, serve
from rapport.cli.simulate import simulate
from rapport.cli.train import train

app = typer.Typer(
    name="rapport",
    help="Rapport: behavioral profiles and decisions for financial services.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(ingest)
app.command()(profile)
app.command()(backfill)
app.command()(demo)
app.command()(catalog)
app.command()(simulate)
app.command()(replay)
app.command()(train)
app.command()(explain)
app.command()(erase)
audit_app.command("export")(audit_export)
app.add_typer(audit_app, name="audit")
app.command()(serve)
app.add_typer(keys_app, name="keys")
evaluate_app.command("policy")(evaluate_policy)
evaluate_app.command("bandit")(evaluate_bandit)
evaluate_app.command("fairness")(evaluate_fairness)
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(challenger_app, name="challenger")
app.add_typer(policy_app, name="policy")
app.add_typer(report_app, name="report")
app.command(name="dead-letters")(dead_letters)
app.command()(outcomes)

if __name__ == "__main__":
    app()
