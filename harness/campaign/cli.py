"""The command line of campaigns: `campaign run|summary|compare` and `bisect-step` (harness/cli.py registers
them here and hands their arguments back)."""

from __future__ import annotations

import argparse

from harness.soak.monitor import emit

# bisect-step's own bad input (a missing directory, a known-bad that never failed): a code `git bisect run`
# takes as "abort", never as "bad" (1..127 other than 125), which would name a wrong first-bad commit
BISECT_ABORT = 128


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def add_parsers(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("campaign", help="many soak scenarios x replicas: run (locally or on Dask), summary, compare")
    csub = c.add_subparsers(dest="campaign_command", required=True, parser_class=type(c))
    run = csub.add_parser("run", help="run a campaign file (TOML), or resume an interrupted campaign")
    run.add_argument("file", nargs="?", metavar="FILE.toml", help="the campaign file")
    run.add_argument("--out", default=None, metavar="DIR",
                     help="results directory (default: campaign-NAME-TIMESTAMP); one that holds runs gets more "
                          "replicas")
    run.add_argument("--resume", default=None, metavar="DIR", help="run what an interrupted campaign left")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS|FILE",
                     help="a Dask scheduler (tcp://HOST:8786) or scheduler file; default: this machine's CPUs")
    s = csub.add_parser("summary", help="the table of a campaign directory")
    s.add_argument("dir", metavar="DIR")
    cmp = csub.add_parser("compare", help="statistically significant changes from OLD to NEW (exit 1: regressed)")
    cmp.add_argument("old", metavar="OLD")
    cmp.add_argument("new", metavar="NEW")
    b = sub.add_parser("bisect-step", help="for git bisect run: exit 0 good, 1 bad, 125 skip, 128 its own bad "
                       "input and 130 interrupted (both abort the bisection)")
    b.add_argument("target", metavar="CAMPAIGN_DIR_OR_RUN.json", help="a known-bad campaign or soak --json report")
    b.add_argument("--confidence", type=_float, default=0.95, help="how sure a 'good' must be")
    b.add_argument("--scenario", default=None, help="which scenario of the campaign (default: the one that failed)")
    b.add_argument("--min-rate", type=_float, default=0.01,
                   help="floor on the known-bad failure rate (caps the clean runs a 'good' needs)")


def main(args: argparse.Namespace) -> int:
    if args.command == "bisect-step":
        from harness.campaign.bisect import bisect_step
        return bisect_step(args.target, args.confidence, args.scenario, args.min_rate)
    if args.campaign_command == "run":
        from harness.campaign.run import run_campaign
        return run_campaign(args.file, args.out, args.resume, args.scheduler)
    if args.campaign_command == "compare":
        from harness.campaign.compare import compare
        return compare(args.old, args.new)
    from harness.campaign.store import Store
    from harness.campaign.summary import summary_lines
    for line in summary_lines(Store(args.dir, create=False)):
        emit(line)
    return 0
