"""`ioc triage …`: classify a file; build the training set, train, evaluate and retrain the model.

The core CLI (`ioc/cli.py`) registers these commands and lends them what a stage may not reach
for itself: the training-set generator lives in simulators, and stages never import each other.
Heavy imports (the model, scikit-learn) stay inside the commands, so `ioc config` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Protocol

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ioc.config import Settings

out = Console()
err = Console(stderr=True)

DATASET_SEED = 1  # the committed training set's
DATASET_COUNT = 24_000


class TrainingSetWriter(Protocol):
    def __call__(self, path: Path, *, seed: int, count: int) -> int:
        """Write `count` labelled reports drawn from `seed` to `path`; return how many."""


@dataclass(frozen=True)
class TriageCommands:
    write_training_set: TrainingSetWriter  # the simulators' generator
    settings: Callable[[], Settings]  # the effective settings, or a clean exit naming the fault
    fail: Callable[[str], NoReturn]  # a one-line reason on stderr, and a non-zero exit

    def app(self) -> typer.Typer:
        app = typer.Typer(
            invoke_without_command=True,
            help="Citizen report triage. `ioc triage --in FILE.jsonl --out FILE.jsonl` "
                 "classifies a file; the subcommands build, train and evaluate the model.")
        app.callback()(self.classify)
        app.command("dataset")(self.dataset)
        app.command("train")(self.train)
        app.command("export-overrides")(self.export_overrides)
        app.command("retrain")(self.retrain)
        app.command("evaluate")(self.evaluate)
        return app

    def classify(
        self,
        ctx: typer.Context,
        in_path: Annotated[Path | None, typer.Option(
            "--in", help='JSONL, one {"id","text"} per line ("lang" optional)')] = None,
        out_path: Annotated[Path | None, typer.Option(
            "--out", help='JSONL written: {"id","urgency","category","department",'
                          '"confidence","cues"} per line')] = None,
    ) -> None:
        """Classify citizen reports: category, department, urgency, confidence and cues."""
        if ctx.invoked_subcommand is not None:
            if in_path or out_path:
                self.fail("--in/--out classify a file on their own: "
                          "`ioc triage --in FILE --out FILE`")
            return
        if in_path is None and out_path is None:
            out.print(ctx.get_help(), highlight=False)
            raise typer.Exit(0)
        if in_path is None or out_path is None:
            self.fail("give both --in FILE.jsonl and --out FILE.jsonl")
        from analytics.triage.commands import BadInput, classify_file
        from ioc.logging import setup_logging

        setup_logging("WARNING")
        try:
            count = classify_file(in_path, out_path)
        except (BadInput, FileNotFoundError, UnicodeDecodeError) as exc:
            self.fail(str(exc))
        out.print(f"triaged {count} reports -> {out_path}", highlight=False, soft_wrap=True)

    def dataset(
        self,
        out_path: Annotated[Path | None, typer.Option(
            "--out", help="Default: the committed set")] = None,
        seed: Annotated[int, typer.Option(help="Sub-seeds are seed*100 + 0, 1, …")]
        = DATASET_SEED,
        count: Annotated[int, typer.Option(help="Reports to write")] = DATASET_COUNT,
    ) -> None:
        """Write the generated training set (simulated reports with their labels) as JSONL."""
        from analytics.triage.evaluate import GENERATED_TRAIN

        path = out_path or GENERATED_TRAIN
        written = self.write_training_set(path, seed=seed, count=count)
        out.print(f"wrote {written} labelled reports -> {path}", highlight=False, soft_wrap=True)

    def train(
        self,
        data: Annotated[Path | None, typer.Option(help="Generated training set (JSONL)")] = None,
        dev: Annotated[Path | None, typer.Option(help="Hand-written dev set used to tune")]
        = None,
        overrides: Annotated[Path | None, typer.Option(help="Operator overrides (JSONL)")]
        = None,
    ) -> None:
        """Train on the generated set, tune on its validation split + dev set; save the model."""
        from analytics.triage import commands
        from analytics.triage.evaluate import DEV_PATH, GENERATED_TRAIN
        from ioc.logging import setup_logging

        setup_logging("WARNING")
        data = data or GENERATED_TRAIN
        if not data.exists():
            err.print(f"{data} is missing: generating it …", highlight=False, soft_wrap=True)
            self.write_training_set(data, seed=DATASET_SEED, count=DATASET_COUNT)
        try:
            lines = commands.train(
                data, dev_path=dev or DEV_PATH, overrides_path=overrides,
                progress=lambda msg: err.print(msg, highlight=False, soft_wrap=True))
        except (FileNotFoundError, ValueError) as exc:
            self.fail(str(exc))
        for line in lines:
            out.print(line, highlight=False, soft_wrap=True)

    def export_overrides(
        self,
        out_path: Annotated[Path, typer.Option("--out", help="JSONL to write")],
    ) -> None:
        """Export operator overrides (text + the label the operator gave) as labelled JSONL."""
        count = self._export_overrides(out_path)
        out.print(f"exported {count} overrides -> {out_path}", highlight=False, soft_wrap=True)

    def retrain(
        self,
        overrides: Annotated[Path | None, typer.Option(
            help='Operator overrides, JSONL: {"id","text","category","urgency",…} per line; '
                 'default: exported from the database (IOC_DATABASE_URL)')] = None,
        data: Annotated[Path | None, typer.Option(help="Generated training set (JSONL)")] = None,
        dev: Annotated[Path | None, typer.Option(help="Hand-written dev set used to tune")]
        = None,
    ) -> None:
        """Train again with operator overrides folded in (they weigh more than generated text)."""
        if overrides is None:
            overrides = self.settings().data_dir / "triage" / "overrides.jsonl"
            count = self._export_overrides(overrides)
            err.print(f"{count} operator overrides exported from the database to {overrides}",
                      highlight=False, soft_wrap=True)
        self.train(data=data, dev=dev, overrides=overrides)

    def evaluate(
        self,
        heldout: Annotated[Path | None, typer.Option(help="Held-out set (JSONL)")] = None,
    ) -> None:
        """Evaluate on the frozen held-out set; write heldout_metrics.json and the model card."""
        from analytics.triage import commands
        from analytics.triage.evaluate import HELDOUT_PATH
        from ioc.logging import setup_logging

        setup_logging("WARNING")
        try:
            lines = commands.evaluate(heldout or HELDOUT_PATH)
        except (FileNotFoundError, ValueError) as exc:
            self.fail(str(exc))
        for line in lines:
            out.print(line, highlight=False, soft_wrap=True)

    def _export_overrides(self, path: Path) -> int:
        import sqlalchemy as sa

        from ioc.db import reports
        from ioc.db.session import engine, unreachable

        settings = self.settings()
        try:
            conn = engine(settings).connect()
        except sa.exc.OperationalError as exc:
            self.fail(unreachable(settings, exc.orig))
        with conn:
            return reports.export_overrides(conn, path)
